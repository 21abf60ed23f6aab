/// One axis of a resize: for every output index, the contiguous run of source indices it reads and
/// their weights. Shrinking averages the source interval the output sample covers (area averaging, so
/// no source pixel is skipped); growing interpolates linearly between the two nearest source samples
/// with pixel centres aligned (so the outermost samples land exactly on the source corners).
struct AxisResampling {
    let source: Int
    let destination: Int
    /// Weights stored per output index; shorter runs are padded with zero weights.
    let taps: Int

    init(source: Int, destination: Int) {
        self.source = source
        self.destination = destination
        if source == destination {
            taps = 1
        } else if source < destination {
            taps = 2
        } else {
            // An interval of length source/destination touches at most ceil(that) + 1 source pixels.
            taps = (source + destination - 1) / destination + 1
        }
    }

    /// Fills `starts[o]`, `counts[o]` and `weights[o * taps ..< (o + 1) * taps]`.
    func fill(
        starts: UnsafeMutableBufferPointer<Int>, counts: UnsafeMutableBufferPointer<Int>,
        weights: UnsafeMutableBufferPointer<Float>
    ) {
        for output in 0..<destination {
            let row = output * taps
            for tap in 0..<taps { weights[row + tap] = 0 }
            if source == destination {
                starts[output] = output
                counts[output] = 1
                weights[row] = 1
            } else if source < destination {
                let scale = Double(source) / Double(destination)
                let position = min(max((Double(output) + 0.5) * scale - 0.5, 0), Double(source - 1))
                let lower = Int(position.rounded(.down))
                let fraction = position - Double(lower)
                starts[output] = lower
                if lower + 1 < source, fraction > 0 {
                    counts[output] = 2
                    weights[row] = Float(1 - fraction)
                    weights[row + 1] = Float(fraction)
                } else {
                    counts[output] = 1
                    weights[row] = 1
                }
            } else {
                let scale = Double(source) / Double(destination)
                let low = Double(output) * scale
                let high = Double(output + 1) * scale
                let first = Int(low.rounded(.down))
                let last = min(Int(high.rounded(.up)), source, first + taps)
                starts[output] = first
                counts[output] = last - first
                for index in first..<last {
                    let overlap = min(high, Double(index + 1)) - max(low, Double(index))
                    weights[row + index - first] = Float(max(overlap, 0) / scale)
                }
            }
        }
    }
}
