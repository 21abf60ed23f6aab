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
/// im2col per tile, one SGEMM per tile, bias and ReLU fused into the write-out.
enum ConvolutionKernel {
    static func forward(
        geometry: ConvolutionGeometry, outputChannels: Int, batch: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        relu: Bool, output: UnsafeMutablePointer<Float>, workspace: ConvolutionWorkspace
    ) {
        let plane = geometry.outputPlane
        let rows = geometry.columnRows
        let largest = geometry.largestTile(batch: batch)
        let columnCount = rows * largest
        let stagingCount = outputChannels * largest
        workspace.withBuffer(count: columnCount + stagingCount) { scratch in
            let columns = scratch
            let staging = scratch + columnCount
            for tile in geometry.tiles(batch: batch) {
                geometry.im2col(input: input, tile: tile, columns: columns)
                let tilePixels = (tile.rowEnd - tile.rowStart) * geometry.outputWidth
                let width = tile.images * tilePixels
                if tile.images == 1 {
                    // One image (or a band of it): the GEMM writes straight into the output rows.
                    let destination =
                        output + tile.firstImage * outputChannels * plane + tile.rowStart * geometry.outputWidth
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: outputChannels, n: width, k: rows,
                        a: weight, lda: rows, b: columns, ldb: width, beta: 0, c: destination, ldc: plane)
                    finish(destination, channels: outputChannels, count: width, stride: plane, bias: bias, relu: relu)
                } else {
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: outputChannels, n: width, k: rows,
                        a: weight, lda: rows, b: columns, ldb: width, beta: 0, c: staging, ldc: width)
                    scatter(
                        staging, images: tile.images, channels: outputChannels, plane: plane, bias: bias,
                        relu: relu, output: output + tile.firstImage * outputChannels * plane)
                }
            }
        }
    }

    /// Bias and ReLU in place on `channels` runs of `count` values, `stride` apart.
    @inline(__always)
    private static func finish(
        _ data: UnsafeMutablePointer<Float>, channels: Int, count: Int, stride: Int, bias: UnsafePointer<Float>?,
        relu: Bool
    ) {
        if bias == nil && !relu { return }
        for c in 0..<channels {
            let b = bias?[c] ?? 0
            let row = data + c * stride
            if relu {
                for i in 0..<count { row[i] = max(row[i] + b, 0) }
            } else {
                for i in 0..<count { row[i] += b }
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
                } else {
                    for i in 0..<plane { target[i] = source[i] + b }
                }
            }
        }
    }

    /// Accumulates the weight gradient and adds the input gradient into `inputGradient` (which
    /// must start zeroed), recomputing the columns instead of keeping them from the forward pass.
    static func backward(
        geometry: ConvolutionGeometry, outputChannels: Int, batch: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        workspace: ConvolutionWorkspace
    ) {
        let plane = geometry.outputPlane
        let rows = geometry.columnRows
        let largest = geometry.largestTile(batch: batch)
        let columnCount = rows * largest
        let stagingCount = outputChannels * largest
        workspace.withBuffer(count: 2 * columnCount + stagingCount) { scratch in
            let columns = scratch
            let columnGradient = scratch + columnCount
            let staging = scratch + 2 * columnCount
            for tile in geometry.tiles(batch: batch) {
                let tilePixels = (tile.rowEnd - tile.rowStart) * geometry.outputWidth
                let width = tile.images * tilePixels
                let tileGradient: UnsafePointer<Float>
                let leading: Int
                if tile.images == 1 {
                    tileGradient =
                        outputGradient + tile.firstImage * outputChannels * plane + tile.rowStart
                        * geometry.outputWidth
                    leading = plane
                } else {
                    let first = outputGradient + tile.firstImage * outputChannels * plane
                    for c in 0..<outputChannels {
                        for image in 0..<tile.images {
                            let source = first + (image * outputChannels + c) * plane
                            let target = staging + c * width + image * plane
                            for i in 0..<plane { target[i] = source[i] }
                        }
                    }
                    tileGradient = UnsafePointer(staging)
                    leading = width
                }
                geometry.im2col(input: input, tile: tile, columns: columns)
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: outputChannels, n: rows, k: width,
                    a: tileGradient, lda: leading, b: columns, ldb: width, beta: 1, c: weightGradient,
                    ldc: rows)
                if let inputGradient {
                    BLAS.gemm(
                        transposeA: true, transposeB: false, m: rows, n: width, k: outputChannels,
                        a: weight, lda: rows, b: tileGradient, ldb: leading, beta: 0, c: columnGradient,
                        ldc: width)
                    geometry.col2im(columns: columnGradient, tile: tile, input: inputGradient)
                }
            }
        }
    }
}
