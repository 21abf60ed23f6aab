import Foundation
import ReCAME
import Tensor

setvbuf(stdout, nil, _IOLBF, 0)

/// Child mode: `--child inference|train|gemm --input CxHxW --threads T --seconds S --warmup N`
/// measures one workload of ours (or cblas_sgemm) and prints one JSON line.
func runChild(_ arguments: [String]) throws {
    var values = [String: String]()
    var index = 0
    while index + 1 < arguments.count {
        values[arguments[index]] = arguments[index + 1]
        index += 2
    }
    guard let mode = values["--child"], let threads = Int(values["--threads"] ?? ""),
        let seconds = Double(values["--seconds"] ?? ""), let warmup = Int(values["--warmup"] ?? "")
    else { throw BenchmarkError("child mode needs --child, --threads, --seconds and --warmup") }
    let result: [String: Any]
    if mode == "gemm" {
        result = try GEMMPeak.run(threads: threads, seconds: seconds)
    } else {
        guard let kind = Workload.Mode(rawValue: mode) else { throw BenchmarkError("unknown child mode \(mode)") }
        let (channels, height, width) = try Workload.parseInput(values["--input"] ?? "")
        var settings = OwnMeasurement.Settings()
        settings.loop = TimedLoop(seconds: seconds, warmup: warmup, minimum: 2)
        result = try OwnMeasurement.run(
            Workload(mode: kind, channels: channels, height: height, width: width, threads: threads),
            settings: settings)
    }
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments.first == "--child" {
        try runChild(arguments)
    } else if arguments.contains("--help") || arguments.contains("-h") {
        print(BenchmarkOptions.usage)
    } else {
        try BenchmarkRun(options: BenchmarkOptions(arguments)).run()
    }
} catch {
    FileHandle.standardError.write(Data("recame-bench-model: \(error)\n".utf8))
    exit(1)
}
