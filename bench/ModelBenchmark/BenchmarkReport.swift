import Foundation
import ReCAME

/// The table of medians and ratios, in Markdown so it can be pasted into bench/README.md.
struct BenchmarkReport {
    let options: BenchmarkOptions
    let workloads: [Workload]
    let samples: [Workload: BenchmarkRun.Samples]
    let peaks: [Int: [String: [Double]]]
    let torchVersion: String
    let blasConfiguration: String
    let loadBefore: String
    let loadAfter: String
    let started: Date

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    func print() {
        let formatter = ISO8601DateFormatter()
        Swift.print(
            """

            ReCAME-Net depth 20, 3 experts, 10 classes, batch 64; \(options.rounds) interleaved rounds, \
            ≥\(options.seconds) s per measurement, medians
            started \(formatter.string(from: started)), \(ProcessInfo.processInfo.activeProcessorCount) cores \
            (\(cpuModel)), load average before \(loadBefore), after \(loadAfter)
            PyTorch \(torchVersion); OpenBLAS \(blasConfiguration); ours: OpenBLAS 1 thread, T threads of our own

            | mode | input | T | ours img/s | PyTorch img/s | ours / PyTorch (rounds' range) | target | \
            ours GFLOP/s | sgemm 512³ GFLOP/s (T) | ours RSS MiB | PyTorch RSS MiB |
            |---|---|---|---:|---:|---:|---|---:|---:|---:|---:|
            """)
        for workload in workloads {
            guard let entry = samples[workload] else { continue }
            let ours = Self.median(entry.ours)
            let torch = Self.median(entry.torch)
            let ratios = zip(entry.ours, entry.torch).map { $0 / $1 }
            let target = workload.mode == .inference ? 1.0 : 0.7
            let architecture = NetworkArchitecture(
                classes: 10, inputChannels: workload.channels, inputHeight: workload.height,
                inputWidth: workload.width)
            let multiplier = workload.mode == .inference ? 1.0 : 3.0
            let gflops = ours * ForwardCost.flopsPerImage(architecture) * multiplier / 1e9
            let peak = Self.median(peaks[workload.threads]?["square_512_gflops"] ?? [])
            Swift.print(
                String(
                    format:
                        "| %@ | %@ | %d | %.1f | %.1f | **%.2f×** (%.2f–%.2f) | ≥%.1f× %@ | %.1f | %.1f | %.0f | %.0f |",
                    workload.mode.rawValue, workload.inputText, workload.threads, ours, torch, ours / torch,
                    ratios.min() ?? .nan, ratios.max() ?? .nan, target, ours / torch >= target ? "met" : "MISSED",
                    gflops, peak, Self.median(entry.oursResident), Self.median(entry.torchResident)))
        }
        Swift.print("\ncblas_sgemm alone (medians, GFLOP/s):")
        for threads in options.threads.sorted() {
            let values = peaks[threads] ?? [:]
            Swift.print(
                String(
                    format: "  T=%d: 512×512×512 %.1f, our stage-1 tile 16×784×144 %.1f, stage-3 tile 64×196×576 %.1f",
                    threads, Self.median(values["square_512_gflops"] ?? []),
                    Self.median(values["stage1_16x784x144_gflops"] ?? []),
                    Self.median(values["stage3_64x196x576_gflops"] ?? [])))
        }
        Swift.print(
            """
            FLOPs: convolutions, attention MLPs and classifiers of the forward pass (multiply + add); \
            training counted as 3× forward. \
            Per image forward: 1x28x28 \
            \(String(format: "%.1f", ForwardCost.flopsPerImage(NetworkArchitecture(classes: 10)) / 1e6)) MFLOP, \
            1x64x64 \
            \(String(format: "%.1f", ForwardCost.flopsPerImage(NetworkArchitecture(classes: 10, inputHeight: 64, inputWidth: 64)) / 1e6)) MFLOP.
            """)
    }

    private var cpuModel: String {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) }
            ?? "unknown CPU"
    }
}
