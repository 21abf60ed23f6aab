import Foundation
import ReCAME

/// The interleaved comparison: in every round each workload is measured by both sides (the side
/// that goes first alternates), and cblas_sgemm's throughput is measured once per thread count, so
/// that drift in the machine's speed hits both sides alike. The report quotes medians.
struct BenchmarkRun {
    struct Samples {
        var ours: [Double] = []
        var torch: [Double] = []
        var oursResident: [Double] = []
        var torchResident: [Double] = []
    }

    let options: BenchmarkOptions
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path

    func run() throws {
        let workloads = try options.workloads()
        guard FileManager.default.fileExists(atPath: options.torchScript) else {
            throw BenchmarkError("PyTorch benchmark script not found at \(options.torchScript) (--torch-script)")
        }
        let loadBefore = ChildRunner.loadAverage
        let started = Date()
        var samples = [Workload: Samples]()
        var peaks = [Int: [String: [Double]]]()
        var torchVersion = "?"
        var blasConfiguration = "?"
        var raw = [[String: Any]]()
        let common = ["--seconds", String(options.seconds), "--warmup", String(options.warmup)]
        for round in 0..<options.rounds {
            for threads in options.threads {
                let gemm = try ChildRunner.run(executable, ["--child", "gemm", "--threads", String(threads)] + common)
                blasConfiguration = gemm["config"] as? String ?? blasConfiguration
                for key in ["square_512_gflops", "stage1_16x784x144_gflops", "stage3_64x196x576_gflops"] {
                    peaks[threads, default: [:]][key, default: []].append(try ChildRunner.number(gemm, key))
                }
                raw.append(gemm)
            }
            for (index, workload) in workloads.enumerated() {
                var entry = samples[workload] ?? Samples()
                let oursFirst = (round + index) % 2 == 0
                for side in oursFirst ? [true, false] : [false, true] {
                    let result: [String: Any]
                    if side {
                        result = try ChildRunner.run(
                            executable,
                            [
                                "--child", workload.mode.rawValue, "--input", workload.inputText, "--threads",
                                String(workload.threads),
                            ] + common)
                        entry.ours.append(try ChildRunner.number(result, "images_per_s"))
                        entry.oursResident.append(try ChildRunner.number(result, "peak_rss_mib"))
                    } else {
                        result = try ChildRunner.run(
                            "/usr/bin/env",
                            [
                                options.python, options.torchScript, "--mode", workload.mode.rawValue, "--depth", "20",
                                "--experts", "3", "--classes", "10", "--input", workload.inputText, "--batch", "64",
                                "--threads", String(workload.threads), "--min-iterations", "2",
                            ] + common)
                        entry.torch.append(try ChildRunner.number(result, "images_per_s"))
                        entry.torchResident.append(try ChildRunner.number(result, "peak_rss_mib"))
                        torchVersion = result["torch"] as? String ?? torchVersion
                    }
                    raw.append(result.merging(["round": round + 1]) { current, _ in current })
                }
                samples[workload] = entry
                FileHandle.standardError.write(
                    Data(
                        String(
                            format: "round %d/%d  %@ %@ T=%d: ours %.1f img/s, PyTorch %.1f img/s  (load %@)\n",
                            round + 1, options.rounds, workload.mode.rawValue, workload.inputText, workload.threads,
                            entry.ours.last!, entry.torch.last!, ChildRunner.loadAverage
                        ).utf8))
            }
        }
        if let path = options.jsonOut {
            let lines = try raw.map {
                String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self)
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        BenchmarkReport(
            options: options, workloads: workloads, samples: samples, peaks: peaks, torchVersion: torchVersion,
            blasConfiguration: blasConfiguration, loadBefore: loadBefore, loadAfter: ChildRunner.loadAverage,
            started: started
        ).print()
    }
}
