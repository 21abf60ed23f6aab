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
                        fillColumnRow(source: source, ky: ky, kx: kx, destination: destination)
                    }
                }
            }
        }
    }

    @inline(__always)
    private func fillColumnRow(
        source: UnsafePointer<Float>, ky: Int, kx: Int, destination: UnsafeMutablePointer<Float>
    ) {
        let (firstX, lastX) = validOutputColumns(kx: kx)
        for oy in 0..<outputHeight {
            let out = destination + oy * outputWidth
            let iy = oy * stride - padding + ky
            if iy < 0 || iy >= height || firstX >= lastX {
                out.update(repeating: 0, count: outputWidth)
                continue
            }
            let inRow = source + iy * width
            if firstX > 0 { out.update(repeating: 0, count: firstX) }
            if stride == 1 {
                (out + firstX).update(from: inRow + (firstX - padding + kx), count: lastX - firstX)
            } else {
                var ix = firstX * stride - padding + kx
                for ox in firstX..<lastX {
                    out[ox] = inRow[ix]
                    ix += stride
                }
            }
            if lastX < outputWidth { (out + lastX).update(repeating: 0, count: outputWidth - lastX) }
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
                        for oy in 0..<outputHeight {
                            let iy = oy * stride - padding + ky
                            if iy < 0 || iy >= height { continue }
                            let inRow = target + iy * width
                            let colRow = source + oy * outputWidth
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
