/// Runs `step` `warmup` times untimed, then until at least `seconds` have passed and at least
/// `minimum` timed iterations ran (the same rule as bench/recame_torch_bench.py).
struct TimedLoop {
    var seconds: Double
    var warmup: Int
    var minimum: Int

    func run(_ step: () throws -> Void) rethrows -> (iterations: Int, seconds: Double) {
        for _ in 0..<warmup { try step() }
        var iterations = 0
        let start = ResourceUsage.now()
        while true {
            try step()
            iterations += 1
            let elapsed = ResourceUsage.now() - start
            if elapsed >= seconds && iterations >= minimum { return (iterations, elapsed) }
        }
    }
}
