import Tensor

/// Regional channel attention for inference: the quadrant statistics of all images go through the
/// shared MLP as one matrix, and the scaling is fused with the residual add and the final ReLU.
struct FusedAttention: Sendable {
    let channels: Int
    let fc1Weight: Tensor
    let fc1Bias: Tensor
    let fc2Weight: Tensor
    let fc2Bias: Tensor

    init(_ attention: RegionalChannelAttention) {
        channels = attention.channels
        fc1Weight = attention.fc1.weight.value
        fc1Bias = attention.fc1.bias!.value
        fc2Weight = attention.fc2.weight.value
        fc2Bias = attention.fc2.bias!.value
    }

    /// output = max(main ⊙ attention(main) + shortcut, 0), per quadrant and channel.
    func apply(
        main: Tensor, shortcut: Tensor, into output: inout Tensor, scratch: InferenceScratch
    ) throws {
        try RegionalChannelAttention.checkInput(main, channels: channels)
        try shortcut.checkShape(main.shape, "attention shortcut")
        let (batch, height, width) = (main.shape[0], main.shape[2], main.shape[3])
        let plane = height * width
        let regions = RegionalChannelAttention.quadrants(height: height, width: width)
        scratch.pooled.resize(to: [8 * batch, channels])
        main.withUnsafeBufferPointer { x in
            scratch.pooled.withUnsafeMutableBufferPointer { p in
                for n in 0..<batch {
                    for c in 0..<channels {
                        let base = x.baseAddress! + (n * channels + c) * plane
                        for (q, (r0, r1, c0, c1)) in regions.enumerated() {
                            var sum: Float = 0
                            var largest = -Float.infinity
                            for r in r0..<r1 {
                                let segment = base + r * width + c0
                                sum += VectorMath.sum(segment, count: c1 - c0)
                                largest = max(largest, VectorMath.maximum(segment, count: c1 - c0))
                            }
                            let slot = (n * 4 + q) * channels + c
                            p[slot] = sum / Float((r1 - r0) * (c1 - c0))
                            p[4 * batch * channels + slot] = largest
                        }
                    }
                }
            }
        }
        try Linear.apply(input: scratch.pooled, weight: fc1Weight, bias: fc1Bias, into: &scratch.hidden)
        scratch.hidden.withUnsafeMutableBufferPointer { h in
            for i in h.indices { h[i] = max(h[i], 0) }
        }
        try Linear.apply(input: scratch.hidden, weight: fc2Weight, bias: fc2Bias, into: &scratch.mixed)
        output.resize(to: main.shape)
        main.withUnsafeBufferPointer { x in
            shortcut.withUnsafeBufferPointer { s in
                scratch.mixed.withUnsafeBufferPointer { m in
                    output.withUnsafeMutableBufferPointer { y in
                        let half = 4 * batch * channels
                        for n in 0..<batch {
                            for c in 0..<channels {
                                let offset = (n * channels + c) * plane
                                for (q, (r0, r1, c0, c1)) in regions.enumerated() {
                                    let slot = (n * 4 + q) * channels + c
                                    let scale = Sigmoid.value(m[slot] + m[half + slot])
                                    for r in r0..<r1 {
                                        let start = offset + r * width
                                        for col in (start + c0)..<(start + c1) {
                                            y[col] = max(x[col] * scale + s[col], 0)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
