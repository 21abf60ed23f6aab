/// Resizes and converts channels in one pass, writing planar (CHW) floats transformed per channel as
/// `value * scale[c] + offset[c]` where `value` is on the 0...255 scale. Channel conversion is linear
/// (gray = luma, RGB = gray replicated), so it commutes with resampling and costs nothing extra.
///
/// The per-axis weight tables live in temporary (stack for typical sizes) storage, so a call
/// allocates nothing on the heap.
enum Resampler {
    /// ITU-R BT.601 luma weights, the usual RGB-to-gray conversion (also PIL's "L" mode).
    static let luma: (red: Float, green: Float, blue: Float) = (0.299, 0.587, 0.114)

    static func resample(
        _ image: Image, width: Int, height: Int, channels: Int,
        scale: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>,
        into destination: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3))
        precondition(destination.count >= channels * width * height)
        let horizontal = AxisResampling(source: image.width, destination: width)
        let vertical = AxisResampling(source: image.height, destination: height)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (width + height)) { indices in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: width * horizontal.taps + height * vertical.taps) {
                weights in
                let xStarts = UnsafeMutableBufferPointer(rebasing: indices[0..<width])
                let xCounts = UnsafeMutableBufferPointer(rebasing: indices[width..<(2 * width)])
                let yStarts = UnsafeMutableBufferPointer(rebasing: indices[(2 * width)..<(2 * width + height)])
                let yCounts = UnsafeMutableBufferPointer(rebasing: indices[(2 * width + height)...])
                let xWeights = UnsafeMutableBufferPointer(rebasing: weights[0..<(width * horizontal.taps)])
                let yWeights = UnsafeMutableBufferPointer(rebasing: weights[(width * horizontal.taps)...])
                horizontal.fill(starts: xStarts, counts: xCounts, weights: xWeights)
                vertical.fill(starts: yStarts, counts: yCounts, weights: yWeights)
                image.pixels.withUnsafeBufferPointer { pixels in
                    let plan = Plan(
                        pixels: pixels, sourceWidth: image.width, sourceChannels: image.channels,
                        xStarts: UnsafeBufferPointer(xStarts), xCounts: UnsafeBufferPointer(xCounts),
                        xWeights: UnsafeBufferPointer(xWeights), xTaps: horizontal.taps,
                        yStarts: UnsafeBufferPointer(yStarts), yCounts: UnsafeBufferPointer(yCounts),
                        yWeights: UnsafeBufferPointer(yWeights), yTaps: vertical.taps)
                    for channel in 0..<channels {
                        let plane = channel * width * height
                        for y in 0..<height {
                            for x in 0..<width {
                                let value = plan.sample(x: x, y: y, channel: channel, outputChannels: channels)
                                destination[plane + y * width + x] = value * scale[channel] + offset[channel]
                            }
                        }
                    }
                }
            }
        }
    }

    private struct Plan {
        let pixels: UnsafeBufferPointer<UInt8>
        let sourceWidth: Int
        let sourceChannels: Int
        let xStarts: UnsafeBufferPointer<Int>
        let xCounts: UnsafeBufferPointer<Int>
        let xWeights: UnsafeBufferPointer<Float>
        let xTaps: Int
        let yStarts: UnsafeBufferPointer<Int>
        let yCounts: UnsafeBufferPointer<Int>
        let yWeights: UnsafeBufferPointer<Float>
        let yTaps: Int

        @inline(__always)
        func sample(x: Int, y: Int, channel: Int, outputChannels: Int) -> Float {
            var total: Float = 0
            let xStart = xStarts[x]
            let xCount = xCounts[x]
            for row in 0..<yCounts[y] {
                let sourceRow = (yStarts[y] + row) * sourceWidth
                var rowTotal: Float = 0
                for column in 0..<xCount {
                    let weight = xWeights[x * xTaps + column]
                    rowTotal +=
                        weight
                        * source(at: sourceRow + xStart + column, channel: channel, outputChannels: outputChannels)
                }
                total += yWeights[y * yTaps + row] * rowTotal
            }
            return total
        }

        @inline(__always)
        private func source(at pixel: Int, channel: Int, outputChannels: Int) -> Float {
            if sourceChannels == outputChannels {
                return Float(pixels[pixel * sourceChannels + channel])
            }
            if sourceChannels == 1 {
                return Float(pixels[pixel])
            }
            let base = pixel * 3
            return Resampler.luma.red * Float(pixels[base]) + Resampler.luma.green * Float(pixels[base + 1])
                + Resampler.luma.blue * Float(pixels[base + 2])
        }
    }
}
