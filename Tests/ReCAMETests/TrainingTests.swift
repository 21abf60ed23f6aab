import ReCAME
import Tensor
import XCTest

final class TrainingTests: XCTestCase {
    /// 32 8×8 images of 4 classes: class c lights up quadrant c, plus noise.
    private func tinyDataSet(seed: UInt64) throws -> (images: Tensor, labels: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var images = Tensor(zeros: [32, 1, 8, 8])
        var labels = [Int]()
        for n in 0..<32 {
            let label = n % 4
            labels.append(label)
            let (rowStart, columnStart) = ((label / 2) * 4, (label % 2) * 4)
            for r in 0..<8 {
                for c in 0..<8 {
                    let inside = (rowStart..<rowStart + 4).contains(r) && (columnStart..<columnStart + 4).contains(c)
                    images[n, 0, r, c] = (inside ? 1 : 0) + 0.3 * Float(generator.nextNormal())
                }
            }
        }
        return (images, labels)
    }

    private func makeTrainer(seed: UInt64) throws -> ReCAMETrainer {
        let network = try ReCAMENetwork(architecture: tinyArchitecture(experts: 2, classes: 4), seed: seed)
        return try ReCAMETrainer(
            network: network, loss: .paper, classCounts: [16, 8, 4, 4],
            optimizer: SGDConfiguration(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4),
            schedule: try WarmupCosineSchedule(baseRate: 0.05, warmupSteps: 3, totalSteps: 60))
    }

    func testTinyNetworkOverfitsWithTheFullLoss() throws {
        let (images, labels) = try tinyDataSet(seed: 1)
        let trainer = try makeTrainer(seed: 2)
        let first = try trainer.trainStep(images: images, labels: labels)
        var last = first
        for _ in 1..<60 { last = try trainer.trainStep(images: images, labels: labels) }
        XCTAssertTrue(last.total.isFinite)
        XCTAssertLessThan(last.crossEntropy, 0.25 * first.crossEntropy, "first \(first), last \(last)")
        XCTAssertLessThan(last.total, 0.5 * first.total, "first \(first), last \(last)")
        let logits = try trainer.network.ensembleLogits(images)
        var correct = 0
        for n in 0..<32 {
            let row = (0..<4).map { logits[n, $0] }
            if row.firstIndex(of: row.max()!) == labels[n] { correct += 1 }
        }
        XCTAssertEqual(correct, 32, "training-set accuracy with running statistics")
    }

    func testTrainingIsDeterministicGivenTheSeed() throws {
        let (images, labels) = try tinyDataSet(seed: 3)
        let a = try makeTrainer(seed: 4)
        let b = try makeTrainer(seed: 4)
        for _ in 0..<2 {
            XCTAssertEqual(
                try a.trainStep(images: images, labels: labels), try b.trainStep(images: images, labels: labels))
        }
        XCTAssertEqual(a.network.stateDictionary(), b.network.stateDictionary())
        XCTAssertEqual(a.step, 2)
    }

    func testExpertsRunningConcurrentlyGiveTheSameResult() throws {
        let (images, labels) = try tinyDataSet(seed: 6)
        let sequential = try makeTrainer(seed: 7)
        let concurrent = try makeTrainer(seed: 7)
        concurrent.network.threads = 2
        for _ in 0..<2 {
            XCTAssertEqual(
                try sequential.trainStep(images: images, labels: labels),
                try concurrent.trainStep(images: images, labels: labels))
        }
        XCTAssertEqual(sequential.network.stateDictionary(), concurrent.network.stateDictionary())
    }

    func testThreeExpertsOnTwoThreadsMatchSequentialTraining() throws {
        let (images, labels) = try tinyDataSet(seed: 8)
        func trainer(threads: Int) throws -> ReCAMETrainer {
            let network = try ReCAMENetwork(architecture: tinyArchitecture(experts: 3, classes: 4), seed: 9)
            network.threads = threads
            return try ReCAMETrainer(
                network: network, loss: .paper, classCounts: [16, 8, 4, 4],
                optimizer: SGDConfiguration(learningRate: 0.05))
        }
        let sequential = try trainer(threads: 1)
        let concurrent = try trainer(threads: 2)
        for _ in 0..<2 {
            let a = try sequential.trainStep(images: images, labels: labels)
            let b = try concurrent.trainStep(images: images, labels: labels)
            XCTAssertEqual(a.total, b.total, accuracy: 1e-4 * abs(a.total))
        }
        let reference = sequential.network.stateDictionary()
        for (name, tensor) in concurrent.network.stateDictionary() {
            XCTAssertLessThan(try tensor.maximumAbsoluteDifference(to: reference[name]!), 1e-4, name)
        }
    }

    func testTrainStepRejectsMismatchedBatches() throws {
        let trainer = try makeTrainer(seed: 5)
        XCTAssertThrowsError(try trainer.trainStep(images: Tensor(zeros: [4, 1, 8, 8]), labels: [0, 1, 2]))
        XCTAssertThrowsError(try trainer.trainStep(images: Tensor(zeros: [1, 1, 8, 8]), labels: [0]))
        XCTAssertThrowsError(
            try trainer.trainStep(images: Tensor(zeros: [2, 1, 8, 8]), labels: [0, 4]))
    }
}
