import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS; every pointer stays in this module.
enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, all row-major. op(A) is m×k, op(B) is k×n, C is m×n.
    @inline(__always)
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Process-wide compute settings. OpenBLAS keeps one global thread pool, so the thread count is
/// global too: workers that share cores with others should run with 1.
public enum ComputeSettings {
    /// The number of threads OpenBLAS uses for each matrix product.
    public static var threads: Int {
        Int(openblas_get_num_threads())
    }

    /// Sets the OpenBLAS thread count (1 … 256).
    public static func setThreads(_ count: Int) throws {
        guard (1...256).contains(count) else {
            throw TensorError.invalidArgument("thread count must be between 1 and 256, got \(count)")
        }
        openblas_set_num_threads(Int32(count))
    }

    /// OpenBLAS's own build description (core type, threading), for logs and benchmarks.
    public static var blasConfiguration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }
}

/// Public matrix product on tensors, for code outside this module that needs a GEMM (benchmarks,
/// metric computations): returns op(A) · op(B) for rank-2 tensors.
public func matrixProduct(
    _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
) throws -> Tensor {
    try a.checkRank(2, "matrixProduct left operand")
    try b.checkRank(2, "matrixProduct right operand")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard k == kb else {
        throw TensorError.shapeMismatch("matrixProduct: inner dimensions \(k) and \(kb) differ")
    }
    var result = Tensor(zeros: [m, n])
    if k == 0 { return result }
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            result.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1], beta: 0,
                    c: pc.baseAddress!, ldc: n)
            }
        }
    }
    return result
}
