/// Scratch memory for convolutions, reused across layers and calls so that steady-state inference
/// and training allocate nothing per image. Not thread-safe: one per thread.
public final class ConvolutionWorkspace {
    var buffer: [Float] = []

    public init() {}

    /// Grows the buffer to at least `count` scalars and lends it to `body`.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        if buffer.count < count {
            buffer = [Float](repeating: 0, count: count)
        }
        return try buffer.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }

    /// Scalars currently held (for tests and memory reports).
    public var capacity: Int { buffer.count }
}

/// The convolution arithmetic shared by the training layer and the fused inference layer:
/// im2col over a group of images, one SGEMM per group, bias and ReLU fused into the copy-out.
enum ConvolutionKernel {
    static func forward(
        geometry: ConvolutionGeometry, outputChannels: Int, batch: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        relu: Bool, output: UnsafeMutablePointer<Float>, workspace: ConvolutionWorkspace
    ) {
        let group = geometry.groupSize(batch: batch)
        let plane = geometry.outputPlane
        let rows = geometry.columnRows
        let columnCount = rows * group * plane
        let stagingCount = group > 1 ? outputChannels * group * plane : 0
        workspace.withBuffer(count: columnCount + stagingCount) { scratch in
            let columns = scratch
            let staging = scratch + columnCount
            var start = 0
            while start < batch {
                let images = min(group, batch - start)
                geometry.im2col(
                    input: input + start * geometry.channels * geometry.inputPlane, images: images,
                    columns: columns)
                let width = images * plane
                let destination = output + start * outputChannels * plane
                if images == 1 {
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: outputChannels, n: width, k: rows,
                        a: weight, lda: rows, b: columns, ldb: width, beta: 0, c: destination, ldc: width)
                    finish(destination, channels: outputChannels, plane: plane, bias: bias, relu: relu)
                } else {
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: outputChannels, n: width, k: rows,
                        a: weight, lda: rows, b: columns, ldb: width, beta: 0, c: staging, ldc: width)
                    scatter(
                        staging, images: images, channels: outputChannels, plane: plane, bias: bias,
                        relu: relu, output: destination)
                }
                start += images
            }
        }
    }

    /// Bias and ReLU in place on one image's [C, plane] output.
    @inline(__always)
    private static func finish(
        _ data: UnsafeMutablePointer<Float>, channels: Int, plane: Int, bias: UnsafePointer<Float>?,
        relu: Bool
    ) {
        if bias == nil && !relu { return }
        for c in 0..<channels {
            let b = bias?[c] ?? 0
            let row = data + c * plane
            if relu {
                for i in 0..<plane { row[i] = max(row[i] + b, 0) }
            } else {
                for i in 0..<plane { row[i] += b }
            }
        }
    }

    /// Copies a group's [C, g·plane] GEMM result into g NCHW images, adding bias and applying ReLU.
    @inline(__always)
    private static func scatter(
        _ staging: UnsafePointer<Float>, images: Int, channels: Int, plane: Int,
        bias: UnsafePointer<Float>?, relu: Bool, output: UnsafeMutablePointer<Float>
    ) {
        let stagingRow = images * plane
        for c in 0..<channels {
            let b = bias?[c] ?? 0
            for image in 0..<images {
                let source = staging + c * stagingRow + image * plane
                let target = output + (image * channels + c) * plane
                if relu {
                    for i in 0..<plane { target[i] = max(source[i] + b, 0) }
                } else if bias != nil {
                    for i in 0..<plane { target[i] = source[i] + b }
                } else {
                    target.update(from: source, count: plane)
                }
            }
        }
    }

    /// Accumulates the weight gradient and writes the input gradient (if `inputGradient` is given)
    /// for a batch, recomputing the columns instead of keeping them from the forward pass.
    static func backward(
        geometry: ConvolutionGeometry, outputChannels: Int, batch: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        workspace: ConvolutionWorkspace
    ) {
        let group = geometry.groupSize(batch: batch)
        let plane = geometry.outputPlane
        let rows = geometry.columnRows
        let columnCount = rows * group * plane
        let stagingCount = group > 1 ? outputChannels * group * plane : 0
        workspace.withBuffer(count: 2 * columnCount + stagingCount) { scratch in
            let columns = scratch
            let columnGradient = scratch + columnCount
            let staging = scratch + 2 * columnCount
            var start = 0
            while start < batch {
                let images = min(group, batch - start)
                let width = images * plane
                let gradientStart = outputGradient + start * outputChannels * plane
                let groupGradient: UnsafePointer<Float>
                if images == 1 {
                    groupGradient = gradientStart
                } else {
                    for c in 0..<outputChannels {
                        for image in 0..<images {
                            (staging + c * width + image * plane).update(
                                from: gradientStart + (image * outputChannels + c) * plane, count: plane)
                        }
                    }
                    groupGradient = UnsafePointer(staging)
                }
                let inputStart = start * geometry.channels * geometry.inputPlane
                geometry.im2col(input: input + inputStart, images: images, columns: columns)
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: outputChannels, n: rows, k: width,
                    a: groupGradient, lda: width, b: columns, ldb: width, beta: 1, c: weightGradient,
                    ldc: rows)
                if let inputGradient {
                    BLAS.gemm(
                        transposeA: true, transposeB: false, m: rows, n: width, k: outputChannels,
                        a: weight, lda: rows, b: groupGradient, ldb: width, beta: 0, c: columnGradient,
                        ldc: width)
                    geometry.col2im(
                        columns: columnGradient, images: images, input: inputGradient + inputStart)
                }
                start += images
            }
        }
    }
}
