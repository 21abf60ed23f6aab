import Datasets
import Foundation
import ReCAME
import Tensor

/// What `train`, `evaluate` and `distill` share: data loading with a progress bar, thread set-up,
/// the source commit, and number formatting.
enum TrainingSupport {
    /// Parses `HxW` (e.g. `28x28`).
    static func inputSize(_ text: String) throws -> (height: Int, width: Int) {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let height = parts[0], let width = parts[1], (5...4096).contains(height),
            (5...4096).contains(width)
        else { throw UsageError("--input must be HxW with sides in 5...4096, e.g. 28x28 (got '\(text)')") }
        return (height, width)
    }

    static func loadData(
        _ specification: DataSpecification, height: Int, width: Int, channels: Int, seed: UInt64, splits: String
    ) throws -> DataSplits {
        // Files are decoded in parallel, so the first report creates the bar under a lock.
        var bar: ProgressBar?
        let lock = NSLock()
        let data = try specification.load(
            height: height, width: width, channels: channels, seed: seed, splitDirectory: splits,
            progress: { done, total in
                let current = lock.withLock {
                    if bar == nil { bar = ProgressBar("loading \(specification)", total: total) }
                    return bar
                }
                current?.update(done)
            })
        printStandardError(
            "data \(specification): \(data.train.count) train, \(data.validation.count) validation, "
                + "\(data.test.count) test images, \(data.classNames.count) classes, split \(data.splitHash)")
        return data
    }

    /// Validates the options (a bad combination is a usage error) and refuses to start over an earlier
    /// run's state file unless resuming.
    static func checkStart(_ options: TrainingOptions, output: URL, resume: Bool) throws {
        do {
            try options.validate()
        } catch let error as TrainingError {
            throw UsageError(error.description)
        }
        let stateURL = TrainingRun.stateURL(for: output)
        if !resume && FileManager.default.fileExists(atPath: stateURL.path) {
            throw UsageError("\(stateURL.path) exists from an earlier run: pass --resume to continue it, or remove it")
        }
    }

    /// Our own threads do the parallel work (experts side by side, batches split); BLAS stays
    /// single-threaded at every `--threads`, 1 included. OpenBLAS's default pool (a thread a core)
    /// spins against our threads and against any other process on the cores: `train --threads 1`
    /// next to one other job ran at 24 images/s with it and 61 without.
    static func useSingleThreadedBLAS() throws {
        try ComputeSettings.setThreads(1)
    }

    /// The commit of the working tree the tool runs in, with `+dirty` for uncommitted changes; nil
    /// outside a git checkout.
    static func sourceCommit() -> String? {
        guard let head = git(["rev-parse", "HEAD"]), !head.isEmpty else { return nil }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
        return head + (dirty ? "+dirty" : "")
    }

    private static func git(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"
    }

    /// Loss terms in a fixed order, short names, for the progress line.
    static func lossSummary(_ loss: [String: Double]) -> String {
        let order = ["total", "balanced_ce", "ce", "hcm_ce", "contrastive", "compactness", "nbod", "nbod_hcm", "kd"]
        let names = order.filter { loss[$0] != nil } + loss.keys.filter { !order.contains($0) }.sorted()
        return names.map { String(format: "%@ %.4f", $0, loss[$0]!) }.joined(separator: " ")
    }

    /// Drives a run with a progress bar per epoch and one summary line per epoch on stderr.
    static func attachProgress(to run: TrainingRun) {
        var bar: ProgressBar?
        var barEpoch = 0
        let started = Date()
        let startStep = run.step
        let totalSteps = run.options.epochs * run.stepsPerEpoch
        run.onStep = { progress in
            if barEpoch != progress.epoch {
                barEpoch = progress.epoch
                bar = ProgressBar("epoch \(progress.epoch)/\(progress.epochs)", total: progress.stepsPerEpoch)
            }
            let done = run.step - startStep
            let remaining = Double(totalSteps - run.step) * Date().timeIntervalSince(started) / Double(max(done, 1))
            bar?.update(
                progress.stepInEpoch,
                detail: lossSummary(progress.loss) + String(format: "  %.0f img/s", progress.imagesPerSecond)
                    + "  run ETA \(ProgressBar.duration(remaining))")
        }
        run.onEpoch = { record, improved in
            printStandardError(
                "epoch \(record.epoch)/\(run.options.epochs): \(lossSummary(record.loss)), lr "
                    + String(format: "%.4g", record.learningRate) + ", validation accuracy "
                    + percent(record.validationAccuracy) + ", macro-recall " + percent(record.validationMacroRecall)
                    + (improved ? " (best, saved)" : "")
                    + String(format: ", %.0f img/s, %.0f s", record.imagesPerSecond, record.seconds))
        }
    }
}
