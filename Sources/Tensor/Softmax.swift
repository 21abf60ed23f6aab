import Foundation

/// Row-wise softmax and log-softmax over [N, C] logits, with their backward passes.
public enum Softmax {
    /// softmax along each row.
    public static func probabilities(_ logits: Tensor) throws -> Tensor {
        try logits.checkRank(2, "softmax logits")
        var result = try logProbabilities(logits)
        result.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = exp(p[i]) }
        }
        return result
    }

    /// log-softmax along each row, computed stably (max subtracted, log-sum-exp in double).
    public static func logProbabilities(_ logits: Tensor) throws -> Tensor {
        try logits.checkRank(2, "log-softmax logits")
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        guard classes > 0 else {
            throw TensorError.shapeMismatch("log-softmax needs at least one class, got \(logits.shape)")
        }
        var result = logits
        result.withUnsafeMutableBufferPointer { z in
            for r in 0..<rows {
                let row = z.baseAddress! + r * classes
                var largest = row[0]
                for c in 1..<classes where row[c] > largest { largest = row[c] }
                var total: Double = 0
                for c in 0..<classes { total += Foundation.exp(Double(row[c] - largest)) }
                // Shift first, then subtract the log-sum: adding `largest` to the log-sum would round it.
                let logTotal = Float(Foundation.log(total))
                for c in 0..<classes { row[c] = (row[c] - largest) - logTotal }
            }
        }
        return result
    }

    /// Gradient with respect to the logits, given p = softmax(z) and ∂L/∂p.
    public static func backward(probabilities: Tensor, outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(probabilities.shape, "softmax output gradient")
        let (rows, classes) = (probabilities.shape[0], probabilities.shape[1])
        var result = outputGradient
        probabilities.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { g in
                for r in 0..<rows {
                    let offset = r * classes
                    var dot: Float = 0
                    for c in 0..<classes { dot += p[offset + c] * g[offset + c] }
                    for c in 0..<classes { g[offset + c] = p[offset + c] * (g[offset + c] - dot) }
                }
            }
        }
        return result
    }

    /// Gradient with respect to the logits, given p = softmax(z) and ∂L/∂(log-softmax z).
    public static func logBackward(probabilities: Tensor, outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(probabilities.shape, "log-softmax output gradient")
        let (rows, classes) = (probabilities.shape[0], probabilities.shape[1])
        var result = outputGradient
        probabilities.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { g in
                for r in 0..<rows {
                    let offset = r * classes
                    var total: Float = 0
                    for c in 0..<classes { total += g[offset + c] }
                    for c in 0..<classes { g[offset + c] -= p[offset + c] * total }
                }
            }
        }
        return result
    }
}
