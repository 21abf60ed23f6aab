/// One epoch of a training run, as kept in the run's history (checkpoint sidecar and report).
public struct TrainingRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    /// Mean of each loss term over the epoch, by name (`total`, `balanced_ce`, `hcm_ce`, …).
    public var loss: [String: Double]
    public var validationAccuracy: Double
    public var validationMacroRecall: Double
    public var imagesPerSecond: Double
    public var seconds: Double

    public init(
        epoch: Int, learningRate: Double, loss: [String: Double], validationAccuracy: Double,
        validationMacroRecall: Double, imagesPerSecond: Double, seconds: Double
    ) {
        self.epoch = epoch
        self.learningRate = learningRate
        self.loss = loss
        self.validationAccuracy = validationAccuracy
        self.validationMacroRecall = validationMacroRecall
        self.imagesPerSecond = imagesPerSecond
        self.seconds = seconds
    }
}
