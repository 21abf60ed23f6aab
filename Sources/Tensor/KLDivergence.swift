/// Kullback-Leibler divergence between the softmax distributions of two logit matrices.
public enum KLDivergence {
    /// The batch mean of KL(softmax(target) ‖ softmax(input)) = Σ p_t (log p_t − log p_s), and its
    /// gradients with respect to both logit matrices (neither side is treated as a constant).
    public static func lossAndGradients(targetLogits: Tensor, inputLogits: Tensor) throws -> (
        loss: Double, targetGradient: Tensor, inputGradient: Tensor
    ) {
        try targetLogits.checkRank(2, "KL target logits")
        try inputLogits.checkShape(targetLogits.shape, "KL input logits")
        let (batch, classes) = (targetLogits.shape[0], targetLogits.shape[1])
        guard batch > 0 else { throw TensorError.shapeMismatch("KL divergence of an empty batch") }
        let logTarget = try Softmax.logProbabilities(targetLogits)
        let logInput = try Softmax.logProbabilities(inputLogits)
        let target = try Softmax.probabilities(targetLogits)
        let input = try Softmax.probabilities(inputLogits)
        var targetGradient = Tensor(zeros: targetLogits.shape)
        var inputGradient = Tensor(zeros: inputLogits.shape)
        var loss: Double = 0
        let scale = 1 / Float(batch)
        logTarget.withUnsafeBufferPointer { lt in
            logInput.withUnsafeBufferPointer { ls in
                target.withUnsafeBufferPointer { pt in
                    input.withUnsafeBufferPointer { ps in
                        targetGradient.withUnsafeMutableBufferPointer { gt in
                            inputGradient.withUnsafeMutableBufferPointer { gs in
                                for n in 0..<batch {
                                    let o = n * classes
                                    var rowLoss: Double = 0
                                    for c in 0..<classes {
                                        rowLoss += Double(pt[o + c]) * Double(lt[o + c] - ls[o + c])
                                    }
                                    loss += rowLoss
                                    let row = Float(rowLoss)
                                    for c in 0..<classes {
                                        gs[o + c] = (ps[o + c] - pt[o + c]) * scale
                                        gt[o + c] = pt[o + c] * ((lt[o + c] - ls[o + c]) - row) * scale
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (loss / Double(batch), targetGradient, inputGradient)
    }
}
