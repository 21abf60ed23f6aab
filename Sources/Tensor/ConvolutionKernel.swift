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
        let tiles = geometry.tiles(batch: batch)
        let owners = geometry.owners(of: tiles, workers: min(workspace.threads, tiles.count))
        let scratches = workspace.workers(owners.workers)
        parallelFor(owners.workers) { worker in
            scratches[worker].withBuffer(count: columnCount + stagingCount) { scratch in
                let columns = scratch
                let staging = scratch + columnCount
                for (index, tile) in tiles.enumerated() where owners.owner[index] == worker {
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
                        finish(
                            destination, channels: outputChannels, count: width, stride: plane, bias: bias, relu: relu)
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
        let rows = geometry.columnRows
        let largest = geometry.largestTile(batch: batch)
        let columnCount = rows * largest
        let stagingCount = outputChannels * largest
        let weightCount = outputChannels * rows
        let tiles = geometry.tiles(batch: batch)
        let owners = geometry.owners(of: tiles, workers: min(workspace.threads, tiles.count))
        let scratches = workspace.workers(owners.workers)
        // Workers after the first accumulate their weight gradient privately; the partial sums are
        // added in worker order afterwards, so the result depends only on the thread count.
        parallelFor(owners.workers) { worker in
            let scratchWorkspace = scratches[worker]
            scratchWorkspace.withBuffer(count: 2 * columnCount + stagingCount) { scratch in
                let run = { (gradientTarget: UnsafeMutablePointer<Float>) in
                    for (index, tile) in tiles.enumerated() where owners.owner[index] == worker {
                        backwardTile(
                            tile, geometry: geometry, outputChannels: outputChannels, input: input,
                            weight: weight, outputGradient: outputGradient, weightGradient: gradientTarget,
                            inputGradient: inputGradient, columns: scratch, columnGradient: scratch + columnCount,
                            staging: scratch + 2 * columnCount)
                    }
                }
                if worker == 0 {
                    run(weightGradient)
                } else {
                    if scratchWorkspace.partialGradient.count != weightCount {
                        scratchWorkspace.partialGradient = [Float](repeating: 0, count: weightCount)
                    } else {
                        scratchWorkspace.partialGradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                    }
                    scratchWorkspace.partialGradient.withUnsafeMutableBufferPointer { run($0.baseAddress!) }
                }
            }
        }
        for worker in 1..<max(owners.workers, 1) {
            scratches[worker].partialGradient.withUnsafeBufferPointer { partial in
                for i in 0..<weightCount { weightGradient[i] += partial[i] }
            }
        }
    }

    @inline(__always)
    private static func backwardTile(
        _ tile: ConvolutionGeometry.Tile, geometry: ConvolutionGeometry, outputChannels: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        columns: UnsafeMutablePointer<Float>, columnGradient: UnsafeMutablePointer<Float>,
        staging: UnsafeMutablePointer<Float>
    ) {
        let plane = geometry.outputPlane
        let rows = geometry.columnRows
        let tilePixels = (tile.rowEnd - tile.rowStart) * geometry.outputWidth
        let width = tile.images * tilePixels
        let tileGradient: UnsafePointer<Float>
        let leading: Int
        if tile.images == 1 {
            tileGradient =
                outputGradient + tile.firstImage * outputChannels * plane + tile.rowStart * geometry.outputWidth
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
            a: tileGradient, lda: leading, b: columns, ldb: width, beta: 1, c: weightGradient, ldc: rows)
        if let inputGradient {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: rows, n: width, k: outputChannels,
                a: weight, lda: rows, b: tileGradient, ldb: leading, beta: 0, c: columnGradient, ldc: width)
            geometry.col2im(columns: columnGradient, tile: tile, input: inputGradient)
        }
    }
}
