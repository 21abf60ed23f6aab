import Foundation

/// The command line of `recame-bench-model`.
struct BenchmarkOptions {
    static let usage = """
        usage: recame-bench-model [--rounds 3] [--seconds 3] [--threads 1,2] [--inputs 1x28x28,1x64x64]
                                  [--modes inference,train] [--python python3] [--torch-script PATH]

        Measures ReCAME-Net (depth 20, 3 experts, 10 classes, batch 64) against the PyTorch CPU
        implementation in bench/recame_torch_bench.py, in one run: every workload is measured by both
        sides in each round, alternating which side goes first, each in its own process (so peak RSS
        is that side's alone); figures are medians over the rounds. cblas_sgemm's own throughput is
        measured in each round too. Prints a table of ours / PyTorch.

          --rounds N          rounds of interleaved measurements (default 3)
          --seconds S         minimum timed seconds per measurement (default 3)
          --warmup N          untimed iterations before each measurement (default 1)
          --threads LIST      thread counts (default 1,2); PyTorch gets torch.set_num_threads(T)
          --inputs LIST       input shapes CxHxW (default 1x28x28,1x64x64)
          --modes LIST        inference,train (default both)
          --python P          Python with torch 2.13 (default python3)
          --torch-script F    default bench/recame_torch_bench.py of this package
          --json-out F        also write every raw measurement as JSON lines to F
        """

    var rounds = 3
    var seconds = 3.0
    var warmup = 1
    var threads = [1, 2]
    var inputs = ["1x28x28", "1x64x64"]
    var modes: [Workload.Mode] = [.inference, .train]
    var python = "python3"
    var torchScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("recame_torch_bench.py").path
    var jsonOut: String?

    init(_ arguments: [String]) throws {
        var index = 0
        func value(_ flag: String) throws -> String {
            guard index < arguments.count else { throw BenchmarkError("\(flag) needs a value") }
            defer { index += 1 }
            return arguments[index]
        }
        func positive(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), number > 0 else {
                throw BenchmarkError("\(flag) must be a positive integer, got '\(text)'")
            }
            return number
        }
        while index < arguments.count {
            let flag = arguments[index]
            index += 1
            switch flag {
            case "--rounds": rounds = try positive(flag)
            case "--warmup": warmup = try positive(flag)
            case "--seconds":
                let text = try value(flag)
                guard let number = Double(text), number > 0, number.isFinite else {
                    throw BenchmarkError("--seconds must be a positive number, got '\(text)'")
                }
                seconds = number
            case "--threads":
                let text = try value(flag)
                threads = text.split(separator: ",").compactMap { Int($0) }
                guard !threads.isEmpty, threads.allSatisfy({ (1...256).contains($0) }) else {
                    throw BenchmarkError("--threads must be a list of counts in 1...256, got '\(text)'")
                }
            case "--inputs":
                inputs = try value(flag).split(separator: ",").map(String.init)
                for input in inputs { _ = try Workload.parseInput(input) }
            case "--modes":
                let text = try value(flag)
                modes = try text.split(separator: ",").map { name in
                    guard let mode = Workload.Mode(rawValue: String(name)) else {
                        throw BenchmarkError("--modes takes inference and/or train, got '\(name)'")
                    }
                    return mode
                }
            case "--python": python = try value(flag)
            case "--torch-script": torchScript = try value(flag)
            case "--json-out": jsonOut = try value(flag)
            default: throw BenchmarkError("unknown option '\(flag)'\n\n\(BenchmarkOptions.usage)")
            }
        }
    }

    func workloads() throws -> [Workload] {
        var result = [Workload]()
        for mode in modes {
            for input in inputs {
                let (channels, height, width) = try Workload.parseInput(input)
                for count in threads {
                    result.append(
                        Workload(mode: mode, channels: channels, height: height, width: width, threads: count))
                }
            }
        }
        return result
    }
}
