import Tensor

/// Regional channel attention: the map is split into a 2×2 grid (rows [0, H/2) and [H/2, H),
/// columns likewise, integer division) and each quadrant q is scaled per channel by
/// σ(MLP(avgpool(q)) + MLP(maxpool(q))), one MLP C → h → C (ReLU, with biases) shared by all.
public final class RegionalChannelAttention: Layer {
    public let channels: Int
    public let hidden: Int
    public let fc1: Linear
    public let fc2: Linear
    private let relu = ReLU()

    private var input = Tensor(zeros: [0])
    private var scales = Tensor(zeros: [0])
    private var maxIndices = [Int]()

    public init(channels: Int, hidden: Int, generator: inout SeededGenerator) throws {
        self.channels = channels
        self.hidden = hidden
        fc1 = try Linear(inputFeatures: channels, outputFeatures: hidden, generator: &generator)
        fc2 = try Linear(inputFeatures: hidden, outputFeatures: channels, generator: &generator)
    }

    public var parameters: [Parameter] { fc1.parameters + fc2.parameters }

    /// The quadrant bounds (row start, row end, column start, column end) for q = 0…3 in the order
    /// top-left, top-right, bottom-left, bottom-right.
    static func quadrants(height: Int, width: Int) -> [(Int, Int, Int, Int)] {
        let (h2, w2) = (height / 2, width / 2)
        return [(0, h2, 0, w2), (0, h2, w2, width), (h2, height, 0, w2), (h2, height, w2, width)]
    }

    static func checkInput(_ input: Tensor, channels: Int) throws {
        try input.checkRank(4, "regional attention input")
        guard input.shape[1] == channels else {
            throw TensorError.shapeMismatch(
                "regional attention input: expected \(channels) channels, got shape \(input.shape)")
        }
        guard input.shape[2] >= 2, input.shape[3] >= 2 else {
            throw TensorError.shapeMismatch(
                "regional attention needs maps of at least 2×2, got shape \(input.shape)")
        }
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try Self.checkInput(input, channels: channels)
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let regions = Self.quadrants(height: height, width: width)
        let plane = height * width
        // Rows 0..<4N hold the quadrant averages, rows 4N..<8N the maxima, row n·4 + q.
        var pooled = Tensor(zeros: [8 * batch, channels])
        maxIndices = [Int](repeating: 0, count: 4 * batch * channels)
        input.withUnsafeBufferPointer { x in
            pooled.withUnsafeMutableBufferPointer { p in
                for n in 0..<batch {
                    for c in 0..<channels {
                        let base = (n * channels + c) * plane
                        for (q, (r0, r1, c0, c1)) in regions.enumerated() {
                            var sum: Float = 0
                            var best = base + r0 * width + c0
                            for r in r0..<r1 {
                                for col in c0..<c1 {
                                    let index = base + r * width + col
                                    sum += x[index]
                                    if x[index] > x[best] { best = index }
                                }
                            }
                            let row = n * 4 + q
                            p[row * channels + c] = sum / Float((r1 - r0) * (c1 - c0))
                            p[(4 * batch + row) * channels + c] = x[best]
                            maxIndices[row * channels + c] = best
                        }
                    }
                }
            }
        }
        let mixed = try fc2.forward(
            relu.forward(fc1.forward(pooled, training: training), training: training), training: training)
        var attention = Tensor(zeros: [4 * batch, channels])
        mixed.withUnsafeBufferPointer { m in
            attention.withUnsafeMutableBufferPointer { s in
                let half = 4 * batch * channels
                for i in 0..<half { s[i] = Sigmoid.value(m[i] + m[half + i]) }
            }
        }
        var output = input
        output.withUnsafeMutableBufferPointer { y in
            attention.withUnsafeBufferPointer { s in
                for n in 0..<batch {
                    for c in 0..<channels {
                        let base = (n * channels + c) * plane
                        for (q, (r0, r1, c0, c1)) in regions.enumerated() {
                            let scale = s[(n * 4 + q) * channels + c]
                            for r in r0..<r1 {
                                for col in c0..<c1 { y[base + r * width + col] *= scale }
                            }
                        }
                    }
                }
            }
        }
        self.input = input
        scales = attention
        return output
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(input.shape, "regional attention output gradient")
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let regions = Self.quadrants(height: height, width: width)
        let plane = height * width
        var inputGradient = outputGradient
        // ∂L/∂(pre-sigmoid), shared by the average and the maximum branch.
        var mixedGradient = Tensor(zeros: [8 * batch, channels])
        input.withUnsafeBufferPointer { x in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                scales.withUnsafeBufferPointer { s in
                    mixedGradient.withUnsafeMutableBufferPointer { dm in
                        let half = 4 * batch * channels
                        for n in 0..<batch {
                            for c in 0..<channels {
                                let base = (n * channels + c) * plane
                                for (q, (r0, r1, c0, c1)) in regions.enumerated() {
                                    let slot = (n * 4 + q) * channels + c
                                    let scale = s[slot]
                                    var dot: Float = 0
                                    for r in r0..<r1 {
                                        for col in c0..<c1 {
                                            let index = base + r * width + col
                                            dot += dx[index] * x[index]
                                            dx[index] *= scale
                                        }
                                    }
                                    let pre = dot * scale * (1 - scale)
                                    dm[slot] = pre
                                    dm[half + slot] = pre
                                }
                            }
                        }
                    }
                }
            }
        }
        let pooledGradient = try fc1.backward(relu.backward(fc2.backward(mixedGradient)))
        inputGradient.withUnsafeMutableBufferPointer { dx in
            pooledGradient.withUnsafeBufferPointer { dp in
                for n in 0..<batch {
                    for c in 0..<channels {
                        let base = (n * channels + c) * plane
                        for (q, (r0, r1, c0, c1)) in regions.enumerated() {
                            let row = n * 4 + q
                            let average = dp[row * channels + c] / Float((r1 - r0) * (c1 - c0))
                            for r in r0..<r1 {
                                for col in c0..<c1 { dx[base + r * width + col] += average }
                            }
                            dx[maxIndices[row * channels + c]] += dp[(4 * batch + row) * channels + c]
                        }
                    }
                }
            }
        }
        return inputGradient
    }

    func stateEntries(prefix: String) -> [StateEntry] {
        StateEntry.linear(prefix + ".fc1", fc1) + StateEntry.linear(prefix + ".fc2", fc2)
    }
}
