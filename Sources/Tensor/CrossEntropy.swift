/// Softmax cross-entropy with integer labels, averaged over the batch (PyTorch's default).
public enum CrossEntropy {
    /// The mean of −log softmax(z_i)[y_i] and its gradient with respect to the logits.
    public static func lossAndGradient(logits: Tensor, labels: [Int]) throws -> (
        loss: Double, gradient: Tensor
    ) {
        try logits.checkRank(2, "cross-entropy logits")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        guard labels.count == batch, batch > 0 else {
            throw TensorError.shapeMismatch(
                "cross-entropy: \(labels.count) labels for a batch of \(batch) logits rows")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw TensorError.invalidArgument(
                "cross-entropy: label \(labels[bad]) at position \(bad) is outside 0..<\(classes)")
        }
        let logProbabilities = try Softmax.logProbabilities(logits)
        var gradient = try Softmax.probabilities(logits)
        var loss: Double = 0
        let scale = 1 / Float(batch)
        gradient.withUnsafeMutableBufferPointer { g in
            for n in 0..<batch {
                loss -= Double(logProbabilities[flat: n * classes + labels[n]])
                g[n * classes + labels[n]] -= 1
            }
            for i in g.indices { g[i] *= scale }
        }
        return (loss / Double(batch), gradient)
    }
}
