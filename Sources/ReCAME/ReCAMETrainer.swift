import Tensor

/// One optimisation step at a time: forward in training mode, the ReCAME loss, backward, SGD.
/// The learning rate follows `schedule` (when given) by step count.
public final class ReCAMETrainer {
    public let network: ReCAMENetwork
    public let loss: ReCAMELoss
    public let optimizer: SGD
    public let schedule: (any LearningRateSchedule)?
    /// Steps taken so far (the schedule's position).
    public var step: Int

    public init(
        network: ReCAMENetwork, loss: LossConfiguration, classCounts: [Int],
        optimizer: SGDConfiguration, schedule: (any LearningRateSchedule)? = nil, step: Int = 0
    ) throws {
        guard classCounts.count == network.architecture.classes else {
            throw LossError.invalidConfiguration(
                "\(classCounts.count) class counts for a network with \(network.architecture.classes) classes")
        }
        self.network = network
        self.loss = try ReCAMELoss(configuration: loss, classCounts: classCounts)
        self.optimizer = try SGD(parameters: network.parameters, configuration: optimizer)
        self.schedule = schedule
        self.step = step
    }

    /// Trains on one batch (images [N, C, H, W], labels in 0..<classes) and returns the loss terms
    /// measured before the update. A batch needs at least 2 images (BatchNorm statistics).
    @discardableResult
    public func trainStep(images: Tensor, labels: [Int]) throws -> LossTerms {
        guard images.rank == 4, images.shape[0] == labels.count else {
            throw LossError.invalidInput(
                "trainStep: \(labels.count) labels for images of shape \(images.shape)")
        }
        guard labels.count >= 2 else {
            throw LossError.invalidInput("trainStep needs a batch of at least 2 images, got \(labels.count)")
        }
        if let schedule { optimizer.learningRate = schedule.learningRate(atStep: step) }
        let outputs = try network.forward(images, training: true)
        let evaluation = try loss.evaluate(outputs: outputs, labels: labels)
        guard evaluation.terms.total.isFinite else {
            throw TensorError.invalidState("training loss is not finite at step \(step): \(evaluation.terms)")
        }
        optimizer.zeroGradients()
        try network.backward(
            logitsGradients: evaluation.logitsGradients, featuresGradients: evaluation.featuresGradients)
        try optimizer.step()
        step += 1
        return evaluation.terms
    }
}
