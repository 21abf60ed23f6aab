/// The sizes of a 2-D convolution and the im2col / col2im transforms it needs.
///
/// The work is cut into tiles, each one GEMM: a group of whole images when the maps are small (so
/// the GEMM stays wide), or a band of output rows of one image when they are large (so the column
/// buffer stays in the L2 cache). Columns are laid out [C·kH·kW, tile pixels].
struct ConvolutionGeometry: Equatable {
    let channels: Int
    let height: Int
    let width: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let outputHeight: Int
    let outputWidth: Int

    /// A tile: `images` images from `firstImage`, output rows [rowStart, rowEnd) of each.
    struct Tile {
        let firstImage: Int
        let images: Int
        let rowStart: Int
        let rowEnd: Int
    }

    init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) throws {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        let outH = (height + 2 * padding - kernel) / stride + 1
        let outW = (width + 2 * padding - kernel) / stride + 1
        guard height + 2 * padding >= kernel, width + 2 * padding >= kernel, outH > 0, outW > 0 else {
            throw TensorError.shapeMismatch(
                "convolution: input \(height)×\(width) is smaller than kernel \(kernel) with padding \(padding)")
        }
        outputHeight = outH
        outputWidth = outW
    }

    var columnRows: Int { channels * kernel * kernel }
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { height * width }

    /// Pixels a tile should cover: a column buffer of about 128 K floats (512 KB) fits the L2
    /// cache, and at least a few hundred columns keep the GEMM efficient.
    var targetColumns: Int { max(256, (128 * 1024) / columnRows) }

    /// The tiles of a batch, in order.
    func tiles(batch: Int) -> [Tile] {
        var tiles = [Tile]()
        let target = targetColumns
        if outputPlane <= target {
            let group = max(1, min(batch, target / outputPlane))
            var start = 0
            while start < batch {
                let images = min(group, batch - start)
                tiles.append(Tile(firstImage: start, images: images, rowStart: 0, rowEnd: outputHeight))
                start += images
            }
        } else {
            let bandRows = max(1, target / outputWidth)
            for image in 0..<batch {
                var row = 0
                while row < outputHeight {
                    let end = min(outputHeight, row + bandRows)
                    tiles.append(Tile(firstImage: image, images: 1, rowStart: row, rowEnd: end))
                    row = end
                }
            }
        }
        return tiles
    }

    /// Which worker handles each tile: all bands of one image go to the same worker (their
    /// col2im would otherwise race on the rows they share), groups are dealt round-robin.
    func owners(of tiles: [Tile], workers: Int) -> (owner: [Int], workers: Int) {
        let count = max(1, workers)
        if count == 1 { return ([Int](repeating: 0, count: tiles.count), 1) }
        let banded = tiles.contains { $0.rowStart != 0 || $0.rowEnd != outputHeight }
        let owner = tiles.enumerated().map { banded ? $1.firstImage % count : $0 % count }
        return (owner, count)
    }

    /// The most columns any tile of `batch` images has.
    func largestTile(batch: Int) -> Int {
        let target = targetColumns
        if outputPlane <= target { return max(1, min(batch, target / outputPlane)) * outputPlane }
        return max(1, target / outputWidth) * outputWidth
    }

    /// The range [first, last) of output columns whose input column ox·stride − padding + kx lies
    /// inside the image (integer division must round toward −∞ here, hence the explicit checks).
    @inline(__always)
    func validOutputColumns(kx: Int) -> (Int, Int) {
        let first = max(0, (padding - kx + stride - 1) / stride)
        let limit = width - 1 + padding - kx
        let last = limit < 0 ? 0 : min(outputWidth, limit / stride + 1)
        return (first, last)
    }

    /// Stride 1 with "same" padding: every column row is the input plane shifted by
    /// (ky − p)·W + (kx − p), so one contiguous copy does most of the work.
    var preservesSize: Bool { stride == 1 && outputWidth == width && outputHeight == height }

    /// Writes the columns of a tile (input points at the batch's first image) into `columns`.
    func im2col(input: UnsafePointer<Float>, tile: Tile, columns: UnsafeMutablePointer<Float>) {
        let tilePixels = (tile.rowEnd - tile.rowStart) * outputWidth
        let rowLength = tile.images * tilePixels
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = columns + ((c * kernel + ky) * kernel + kx) * rowLength
                    for image in 0..<tile.images {
                        let source = input + ((tile.firstImage + image) * channels + c) * inputPlane
                        let destination = row + image * tilePixels
                        if preservesSize {
                            fillShifted(source: source, ky: ky, kx: kx, tile: tile, destination: destination)
                        } else {
                            fillStrided(source: source, ky: ky, kx: kx, tile: tile, destination: destination)
                        }
                    }
                }
            }
        }
    }

    /// Adds a tile's column gradients back into the image gradients (the adjoint of `im2col`).
    /// `columns` is scratch: entries that belong to padding are zeroed on the way.
    func col2im(columns: UnsafeMutablePointer<Float>, tile: Tile, input: UnsafeMutablePointer<Float>) {
        let tilePixels = (tile.rowEnd - tile.rowStart) * outputWidth
        let rowLength = tile.images * tilePixels
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = columns + ((c * kernel + ky) * kernel + kx) * rowLength
                    for image in 0..<tile.images {
                        let target = input + ((tile.firstImage + image) * channels + c) * inputPlane
                        let source = row + image * tilePixels
                        if preservesSize {
                            addShifted(source: source, ky: ky, kx: kx, tile: tile, target: target)
                        } else {
                            addStrided(source: source, ky: ky, kx: kx, tile: tile, target: target)
                        }
                    }
                }
            }
        }
    }

    /// Output rows of the tile whose input row lies inside the image, for the shifted layout.
    @inline(__always)
    private func validRows(dy: Int, tile: Tile) -> (Int, Int) {
        let first = min(max(tile.rowStart, -dy), tile.rowEnd)
        return (first, max(first, min(tile.rowEnd, height - dy)))
    }

    @inline(__always)
    private func fillShifted(
        source: UnsafePointer<Float>, ky: Int, kx: Int, tile: Tile, destination: UnsafeMutablePointer<Float>
    ) {
        let dy = ky - padding
        let dx = kx - padding
        let (firstRow, lastRow) = validRows(dy: dy, tile: tile)
        let base = tile.rowStart * width
        // Flat output positions p (relative to the plane) map to source p + shift.
        let start = firstRow * width
        let end = lastRow * width
        let tileEnd = tile.rowEnd * width
        let shift = dy * width + dx
        let copyStart = min(max(start, -shift), end)
        let copyEnd = max(copyStart, min(end, inputPlane - shift))
        if copyStart > base { (destination).update(repeating: 0, count: copyStart - base) }
        if copyEnd > copyStart {
            (destination + (copyStart - base)).update(from: source + (copyStart + shift), count: copyEnd - copyStart)
        }
        if tileEnd > copyEnd { (destination + (copyEnd - base)).update(repeating: 0, count: tileEnd - copyEnd) }
        // Values that wrapped around a row edge belong to padding.
        if dx < 0 {
            for r in firstRow..<lastRow {
                for col in 0..<min(-dx, width) { destination[r * width + col - base] = 0 }
            }
        } else if dx > 0 {
            for r in firstRow..<lastRow {
                for col in max(0, width - dx)..<width { destination[r * width + col - base] = 0 }
            }
        }
    }

    @inline(__always)
    private func addShifted(
        source: UnsafeMutablePointer<Float>, ky: Int, kx: Int, tile: Tile, target: UnsafeMutablePointer<Float>
    ) {
        let dy = ky - padding
        let dx = kx - padding
        let (firstRow, lastRow) = validRows(dy: dy, tile: tile)
        guard lastRow > firstRow else { return }
        let base = tile.rowStart * width
        if dx < 0 {
            for r in firstRow..<lastRow {
                for col in 0..<min(-dx, width) { source[r * width + col - base] = 0 }
            }
        } else if dx > 0 {
            for r in firstRow..<lastRow {
                for col in max(0, width - dx)..<width { source[r * width + col - base] = 0 }
            }
        }
        let shift = dy * width + dx
        let start = max(firstRow * width, -shift)
        let end = min(lastRow * width, inputPlane - shift)
        guard start < end else { return }
        let shifted = target + shift
        let from = source - base
        for p in start..<end { shifted[p] += from[p] }
    }

    @inline(__always)
    private func fillStrided(
        source: UnsafePointer<Float>, ky: Int, kx: Int, tile: Tile, destination: UnsafeMutablePointer<Float>
    ) {
        let (firstX, lastX) = validOutputColumns(kx: kx)
        for oy in tile.rowStart..<tile.rowEnd {
            let out = destination + (oy - tile.rowStart) * outputWidth
            let iy = oy * stride - padding + ky
            if iy < 0 || iy >= height || firstX >= lastX {
                for ox in 0..<outputWidth { out[ox] = 0 }
                continue
            }
            let inRow = source + iy * width
            for ox in 0..<firstX { out[ox] = 0 }
            var ix = firstX * stride - padding + kx
            for ox in firstX..<lastX {
                out[ox] = inRow[ix]
                ix += stride
            }
            for ox in lastX..<outputWidth { out[ox] = 0 }
        }
    }

    @inline(__always)
    private func addStrided(
        source: UnsafePointer<Float>, ky: Int, kx: Int, tile: Tile, target: UnsafeMutablePointer<Float>
    ) {
        let (firstX, lastX) = validOutputColumns(kx: kx)
        if firstX >= lastX { return }
        for oy in tile.rowStart..<tile.rowEnd {
            let iy = oy * stride - padding + ky
            if iy < 0 || iy >= height { continue }
            let inRow = target + iy * width
            let colRow = source + (oy - tile.rowStart) * outputWidth
            var ix = firstX * stride - padding + kx
            for ox in firstX..<lastX {
                inRow[ix] += colRow[ox]
                ix += stride
            }
        }
    }
}
