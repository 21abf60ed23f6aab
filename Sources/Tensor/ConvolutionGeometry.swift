/// The sizes of a 2-D convolution and the im2col / col2im transforms it needs.
///
/// Columns are laid out [C·kH·kW, g·Ho·Wo] for a group of g images, so one GEMM covers the group:
/// grouping keeps the GEMM wide when the maps are small (late stages) without a huge buffer.
struct ConvolutionGeometry: Equatable {
    let channels: Int
    let height: Int
    let width: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let outputHeight: Int
    let outputWidth: Int

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

    /// How many images share one GEMM: enough to give it about `targetColumns` columns.
    func groupSize(batch: Int, targetColumns: Int = 2048) -> Int {
        max(1, min(batch, (targetColumns + outputPlane - 1) / outputPlane))
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

    /// Writes the columns of `images` consecutive images starting at `input` into `columns`.
    func im2col(
        input: UnsafePointer<Float>, images: Int, columns: UnsafeMutablePointer<Float>
    ) {
        let plane = outputPlane
        let rowLength = images * plane
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = columns + ((c * kernel + ky) * kernel + kx) * rowLength
                    for image in 0..<images {
                        let source = input + (image * channels + c) * inputPlane
                        let destination = row + image * plane
                        if preservesSize {
                            fillShiftedPlane(source: source, ky: ky, kx: kx, destination: destination)
                        } else {
                            fillColumnRow(source: source, ky: ky, kx: kx, destination: destination)
                        }
                    }
                }
            }
        }
    }

    /// Stride 1 with "same" padding: every column row is the input plane shifted by
    /// (ky − p)·W + (kx − p), so one contiguous copy does most of the work; the values that wrap
    /// around a row edge and the rows outside the image are then zeroed.
    var preservesSize: Bool { stride == 1 && outputWidth == width && outputHeight == height }

    @inline(__always)
    private func fillShiftedPlane(
        source: UnsafePointer<Float>, ky: Int, kx: Int, destination: UnsafeMutablePointer<Float>
    ) {
        let dy = ky - padding
        let dx = kx - padding
        let firstRow = max(0, -dy)
        let lastRow = min(height, height - dy)
        let start = firstRow * width
        let end = lastRow * width
        if start > 0 { destination.update(repeating: 0, count: start) }
        if end < inputPlane { (destination + end).update(repeating: 0, count: inputPlane - end) }
        guard end > start else { return }
        // Copy the span, clipped so that it never reads outside the plane.
        let shift = dy * width + dx
        let copyStart = max(start, -shift)
        let copyEnd = min(end, inputPlane - shift)
        if copyStart < copyEnd {
            (destination + copyStart).update(from: source + (copyStart + shift), count: copyEnd - copyStart)
        }
        if copyStart > start { (destination + start).update(repeating: 0, count: copyStart - start) }
        if copyEnd < end { (destination + copyEnd).update(repeating: 0, count: end - copyEnd) }
        // Columns whose input column falls outside the row.
        if dx < 0 {
            for r in firstRow..<lastRow {
                for col in 0..<min(-dx, width) { destination[r * width + col] = 0 }
            }
        } else if dx > 0 {
            for r in firstRow..<lastRow {
                for col in max(0, width - dx)..<width { destination[r * width + col] = 0 }
            }
        }
    }

    @inline(__always)
    private func fillColumnRow(
        source: UnsafePointer<Float>, ky: Int, kx: Int, destination: UnsafeMutablePointer<Float>
    ) {
        let (firstX, lastX) = validOutputColumns(kx: kx)
        // Rows are short (7 to 64 values): plain loops beat memcpy/memset calls here.
        for oy in 0..<outputHeight {
            let out = destination + oy * outputWidth
            let iy = oy * stride - padding + ky
            if iy < 0 || iy >= height || firstX >= lastX {
                for ox in 0..<outputWidth { out[ox] = 0 }
                continue
            }
            let inRow = source + iy * width
            for ox in 0..<firstX { out[ox] = 0 }
            if stride == 1 {
                let shifted = inRow + (kx - padding)
                for ox in firstX..<lastX { out[ox] = shifted[ox] }
            } else {
                var ix = firstX * stride - padding + kx
                for ox in firstX..<lastX {
                    out[ox] = inRow[ix]
                    ix += stride
                }
            }
            for ox in lastX..<outputWidth { out[ox] = 0 }
        }
    }

    /// Adds the columns back into image gradients (the adjoint of `im2col`); `input` must be zeroed
    /// or hold gradients to accumulate into.
    func col2im(
        columns: UnsafePointer<Float>, images: Int, input: UnsafeMutablePointer<Float>
    ) {
        let plane = outputPlane
        let rowLength = images * plane
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = columns + ((c * kernel + ky) * kernel + kx) * rowLength
                    let (firstX, lastX) = validOutputColumns(kx: kx)
                    if firstX >= lastX { continue }
                    for image in 0..<images {
                        let target = input + (image * channels + c) * inputPlane
                        let source = row + image * plane
                        if preservesSize {
                            addShiftedPlane(
                                source: UnsafeMutablePointer(mutating: source), ky: ky, kx: kx, target: target)
                            continue
                        }
                        for oy in 0..<outputHeight {
                            let iy = oy * stride - padding + ky
                            if iy < 0 || iy >= height { continue }
                            let inRow = target + iy * width
                            let colRow = source + oy * outputWidth
                            if stride == 1 {
                                let shifted = inRow + (kx - padding)
                                for ox in firstX..<lastX { shifted[ox] += colRow[ox] }
                            } else {
                                var ix = firstX * stride - padding + kx
                                for ox in firstX..<lastX {
                                    inRow[ix] += colRow[ox]
                                    ix += stride
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `fillShiftedPlane`: zero the column entries that came from outside the
    /// image (their gradient belongs to padding), then add the span back with one shifted loop.
    /// `source` is scratch and is modified.
    @inline(__always)
    private func addShiftedPlane(
        source: UnsafeMutablePointer<Float>, ky: Int, kx: Int, target: UnsafeMutablePointer<Float>
    ) {
        let dy = ky - padding
        let dx = kx - padding
        let firstRow = max(0, -dy)
        let lastRow = min(height, height - dy)
        guard lastRow > firstRow else { return }
        if dx < 0 {
            for r in firstRow..<lastRow {
                for col in 0..<min(-dx, width) { source[r * width + col] = 0 }
            }
        } else if dx > 0 {
            for r in firstRow..<lastRow {
                for col in max(0, width - dx)..<width { source[r * width + col] = 0 }
            }
        }
        let shift = dy * width + dx
        let start = max(firstRow * width, -shift)
        let end = min(lastRow * width, inputPlane - shift)
        guard start < end else { return }
        let shifted = target + shift
        for i in start..<end { shifted[i] += source[i] }
    }
}
