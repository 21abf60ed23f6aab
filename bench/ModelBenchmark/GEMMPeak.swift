import Tensor

/// What `cblas_sgemm` itself achieves on this machine with OpenBLAS at `threads` threads: a square
/// 512³ product (the usual peak figure) and one shaped like our largest convolution products.
enum GEMMPeak {
    static func run(threads: Int, seconds: Double) throws -> [String: Any] {
        try ComputeSettings.setThreads(threads)
        var generator = SeededGenerator(seed: 2)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape) { buffer in
                for i in buffer.indices { buffer[i] = Float(generator.nextUniform(-1, 1)) }
            }
        }
        func gflops(m: Int, n: Int, k: Int) throws -> Double {
            let a = random([m, k])
            let b = random([k, n])
            let loop = TimedLoop(seconds: seconds, warmup: 2, minimum: 3)
            let timing = try loop.run { _ = try matrixProduct(a, b) }
            return 2 * Double(m * n * k) * Double(timing.iterations) / timing.seconds / 1e9
        }
        // Our convolution tiles at 28×28 (columns of about 128 K floats): stage 1 is 16 filters ×
        // 144 taps × one image's 784 pixels; stage 3 is 64 filters × 576 taps × four images' 49.
        return [
            "framework": "openblas", "threads": threads, "square_512_gflops": try gflops(m: 512, n: 512, k: 512),
            "stage1_16x784x144_gflops": try gflops(m: 16, n: 784, k: 144),
            "stage3_64x196x576_gflops": try gflops(m: 64, n: 196, k: 576),
            "config": ComputeSettings.blasConfiguration,
        ]
    }
}
