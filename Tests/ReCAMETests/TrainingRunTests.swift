import Datasets
import Foundation
import ReCAME
import Tensor
import XCTest

final class TrainingRunTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TrainingFixtures.temporaryDirectory("training-run")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func options(epochs: Int, experts: Int = 2) -> TrainingOptions {
        TrainingOptions(
            depth: 8, widthMultiplier: 0.25, experts: experts, inputHeight: 8, inputWidth: 8, channels: 1,
            epochs: epochs, batchSize: 8, learningRate: 0.05, warmupEpochs: 0, cropPadding: 1, seed: 5)
    }

    private func run(_ options: TrainingOptions, name: String, threads: Int = 1) throws -> TrainingRun {
        try TrainingRun(
            options: options, data: try TrainingFixtures.splits(), dataSpec: "fixture",
            output: directory.appendingPathComponent(name), threads: threads)
    }

    func testTrainingLowersTheLossAndWritesACalibratedArtifact() throws {
        let training = try run(options(epochs: 6), name: "model.safetensors")
        XCTAssertEqual(training.stepsPerEpoch, 6)
        try training.train()
        let first = try XCTUnwrap(training.history.first?.loss["total"])
        let last = try XCTUnwrap(training.history.last?.loss["total"])
        XCTAssertLessThan(last, 0.6 * first, "history: \(training.history.map { $0.loss["total"]! })")
        XCTAssertEqual(
            Set(training.history[0].loss.keys),
            [
                "total", "balanced_ce", "hcm_ce", "contrastive", "compactness", "nbod", "nbod_hcm",
            ])
        XCTAssertGreaterThan(training.bestScore, 0.5, "validation macro-recall of the best epoch (chance: 1/3)")

        let result = try training.finish()
        let checkpoint = try Checkpoint.load(contentsOf: training.output)
        let configuration = checkpoint.configuration
        XCTAssertEqual(configuration, result.configuration)
        XCTAssertEqual(configuration.classNames, TrainingFixtures.classNames)
        XCTAssertEqual(configuration.trainCounts, [24, 12, 6])
        XCTAssertEqual(configuration.experts, 2)
        XCTAssertTrue(TemperatureScaling.range.contains(configuration.temperature))
        XCTAssertLessThanOrEqual(result.nllAfter, result.nllBefore)
        guard case .object(let provenance) = configuration.training else { return XCTFail("no training metadata") }
        XCTAssertEqual(provenance["data"], .string("fixture"))
        XCTAssertEqual(provenance["split_hash"], .string("fixture-1"))
        XCTAssertEqual(provenance["best_epoch"], .integer(Int64(training.bestEpoch)))
        guard case .array(let history) = provenance["history"] else { return XCTFail("no history") }
        XCTAssertEqual(history.count, 6)
        // The artifact holds the best epoch's weights: its validation macro-recall is the best score.
        let model = try ReCAMENetwork(checkpoint: checkpoint).inferenceModel()
        let loader = try BatchLoader(
            images: training.data.validation, mean: configuration.mean, std: configuration.std)
        let metrics = try Evaluator(model: model, loader: loader).metrics(trainCounts: configuration.trainCounts)
        XCTAssertEqual(metrics.balancedAccuracy, training.bestScore, accuracy: 1e-12)
    }

    func testResumedRunIsBitIdenticalToAnUninterruptedOne() throws {
        let straight = try run(options(epochs: 2), name: "straight.safetensors")
        try straight.train()

        let interrupted = try run(options(epochs: 2), name: "resumed.safetensors")
        try interrupted.train(untilEpoch: 1)
        XCTAssertEqual(interrupted.epoch, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: interrupted.stateURL.path))
        let resumed = try run(options(epochs: 2), name: "resumed.safetensors")
        XCTAssertTrue(try resumed.resume())
        XCTAssertEqual(resumed.epoch, 1)
        XCTAssertEqual(resumed.step, straight.stepsPerEpoch)
        try resumed.train()

        XCTAssertEqual(resumed.network.stateDictionary(), straight.network.stateDictionary())
        XCTAssertEqual(resumed.history.map(\.loss), straight.history.map(\.loss))
        XCTAssertEqual(
            resumed.history.map(\.validationMacroRecall), straight.history.map(\.validationMacroRecall))
        XCTAssertEqual(resumed.bestEpoch, straight.bestEpoch)
        XCTAssertEqual(
            try Checkpoint.load(contentsOf: resumed.output).tensors,
            try Checkpoint.load(contentsOf: straight.output).tensors)
    }

    func testResumeRefusesAStateWrittenWithOtherOptions() throws {
        let first = try run(options(epochs: 2), name: "model.safetensors")
        try first.train(untilEpoch: 1)
        var changed = options(epochs: 2)
        changed.learningRate = 0.01
        let second = try run(changed, name: "model.safetensors")
        XCTAssertThrowsError(try second.resume()) { error in
            XCTAssertTrue("\(error)".contains("learningRate"), "\(error)")
        }
    }

    func testBaselineTrainsOneBackboneWithPlainCrossEntropy() throws {
        let baseline = try run(options(epochs: 1).crossEntropyBaseline, name: "baseline.safetensors")
        XCTAssertEqual(baseline.network.experts.count, 1)
        try baseline.train()
        XCTAssertEqual(Set(baseline.history[0].loss.keys), ["total", "ce"])
    }

    func testWithoutRegionalAttentionTheAttentionIsTheIdentityAndStaysSo() throws {
        var noAttention = options(epochs: 1)
        noAttention.regionalAttention = false
        let training = try run(noAttention, name: "no-rca.safetensors")
        let before = training.network.namedParameters().filter { $0.key.contains(".rca.") }
        try training.train()
        let after = training.network.namedParameters().filter { $0.key.contains(".rca.") }
        XCTAssertEqual(before, after, "attention parameters are frozen")
        let block = training.network.experts[0].stages[0][0]
        var input = Tensor(zeros: [2, 4, 8, 8])
        for i in 0..<input.count { input[flat: i] = Float(i % 17) - 8 }
        XCTAssertEqual(try block.attention.forward(input, training: false), input)
    }

    func testOptionsAreValidated() {
        var bad = options(epochs: 2)
        bad.warmupEpochs = 2
        XCTAssertThrowsError(try bad.validate())
        bad = options(epochs: 2)
        bad.batchSize = 1
        XCTAssertThrowsError(try bad.validate())
        bad = options(epochs: 2)
        bad.method = .baselineCrossEntropy
        XCTAssertThrowsError(try bad.validate(), "the baseline has one expert")
    }
}
