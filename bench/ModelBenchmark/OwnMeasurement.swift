import Foundation
import ReCAME
import Tensor

/// Our side of one workload, run in its own process so that its peak RSS is its own: the folded
/// inference model, or a full training step (forward, the paper's loss, backward, Nesterov SGD),
/// with the same batch, seeds' role and settings as bench/recame_torch_bench.py.
enum OwnMeasurement {
    struct Settings {
        var depth = 20
        var experts = 3
        var classes = 10
        var batch = 64
        var loop = TimedLoop(seconds: 3, warmup: 1, minimum: 2)
    }

    static func run(_ workload: Workload, settings: Settings) throws -> [String: Any] {
        // Our threads split the batch (inference) or the experts (training); OpenBLAS threads on
        // these small products only add synchronisation, so BLAS stays single-threaded.
        try ComputeSettings.setThreads(1)
        let architecture = NetworkArchitecture(
            depth: settings.depth, experts: settings.experts, classes: settings.classes,
            inputChannels: workload.channels, inputHeight: workload.height, inputWidth: workload.width)
        let network = try ReCAMENetwork(architecture: architecture, seed: 0)
        var generator = SeededGenerator(seed: 1)
        let shape = [settings.batch, workload.channels, workload.height, workload.width]
        let images = Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = Float(generator.nextNormal()) }
        }
        let timing: (iterations: Int, seconds: Double)
        switch workload.mode {
        case .inference:
            let model = try network.inferenceModel()
            timing = try settings.loop.run {
                _ = try model.predict(images, parallelism: workload.threads)
            }
        case .train:
            network.threads = workload.threads
            let classes = settings.classes
            let counts = (0..<classes).map { c in
                Int(6000 * pow(100, -Double(c) / Double(max(classes - 1, 1))))
            }
            let labels = (0..<settings.batch).map { _ in generator.nextInt(below: classes) }
            let trainer = try ReCAMETrainer(
                network: network, loss: .paper, classCounts: counts,
                optimizer: SGDConfiguration(learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4))
            timing = try settings.loop.run {
                try trainer.trainStep(images: images, labels: labels)
            }
        }
        return [
            "framework": "recame", "mode": workload.mode.rawValue, "input": workload.inputText,
            "batch": settings.batch, "threads": workload.threads, "iterations": timing.iterations,
            "seconds": timing.seconds, "images_per_s": Double(timing.iterations * settings.batch) / timing.seconds,
            "peak_rss_mib": ResourceUsage.peakResidentMiB,
        ]
    }
}
