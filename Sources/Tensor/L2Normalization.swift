/// Scales each row of [N, D] to unit Euclidean length: y = x / max(‖x‖, ε).
public final class L2Normalization: Layer {
    public let epsilon: Float
    private var output = Tensor(zeros: [0])
    private var norms = [Float]()

    public init(epsilon: Float = 1e-12) {
        self.epsilon = epsilon
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.checkRank(2, "L2Normalization input")
        let (rows, width) = (input.shape[0], input.shape[1])
        var result = input
        norms = [Float](repeating: 0, count: rows)
        result.withUnsafeMutableBufferPointer { y in
            for r in 0..<rows {
                let row = y.baseAddress! + r * width
                var squares: Float = 0
                for i in 0..<width { squares += row[i] * row[i] }
                let norm = max(squares.squareRoot(), epsilon)
                norms[r] = norm
                for i in 0..<width { row[i] /= norm }
            }
        }
        output = result
        return result
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(output.shape, "L2Normalization output gradient")
        let (rows, width) = (output.shape[0], output.shape[1])
        var inputGradient = outputGradient
        output.withUnsafeBufferPointer { y in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                for r in 0..<rows {
                    let offset = r * width
                    let norm = norms[r]
                    // Below ε the map is x/ε, a plain scaling.
                    if norm <= epsilon {
                        for i in 0..<width { dx[offset + i] /= norm }
                        continue
                    }
                    var dot: Float = 0
                    for i in 0..<width { dot += y[offset + i] * dx[offset + i] }
                    for i in 0..<width { dx[offset + i] = (dx[offset + i] - y[offset + i] * dot) / norm }
                }
            }
        }
        return inputGradient
    }
}
