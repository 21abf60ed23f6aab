/// The three disjoint parts every experiment uses: train to fit, validation to choose the checkpoint
/// (never test), test to report.
public struct DataSplits: Sendable {
    public let train: ImageSet
    public let validation: ImageSet
    public let test: ImageSet
    /// Identifies the exact split, so that a checkpoint records which images it was chosen on.
    public let splitHash: String
    public let description: String

    public var classNames: [String] { train.classNames }
    public var trainCounts: [Int] { train.classCounts }

    public init(train: ImageSet, validation: ImageSet, test: ImageSet, splitHash: String, description: String)
        throws
    {
        for (index, count) in train.classCounts.enumerated() where count == 0 {
            throw DatasetError.noTrainingImages(className: train.classNames[index])
        }
        self.train = train
        self.validation = validation
        self.test = test
        self.splitHash = splitHash
        self.description = description
    }

    public func part(_ name: String) throws -> ImageSet {
        switch name {
        case "train": return train
        case "validation", "val": return validation
        case "test": return test
        default: throw DatasetError.badSpecification("unknown split '\(name)' (train, validation or test)")
        }
    }
}
