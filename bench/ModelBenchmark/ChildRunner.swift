import Foundation

/// Runs one measurement in a fresh process and returns the JSON object of its last stdout line.
enum ChildRunner {
    static func run(_ executable: String, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain stderr concurrently so a chatty child cannot block on a full pipe.
        let errorSink = ErrorSink()
        let errorReader = Thread { errorSink.data = errors.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorReader.isFinished { usleep(1000) }
        let errorData = errorSink.data
        let command = ([executable] + arguments).joined(separator: " ")
        guard process.terminationStatus == 0 else {
            throw BenchmarkError(
                "\(command) exited \(process.terminationStatus): \(String(decoding: errorData, as: UTF8.self))")
        }
        let lines = String(decoding: outputData, as: UTF8.self).split(separator: "\n")
        guard let last = lines.last,
            let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        else {
            throw BenchmarkError("\(command) printed no JSON line: \(String(decoding: outputData, as: UTF8.self))")
        }
        return object
    }

    static func number(_ object: [String: Any], _ key: String) throws -> Double {
        guard let value = object[key] as? NSNumber else {
            throw BenchmarkError("measurement lacks '\(key)': \(object)")
        }
        return value.doubleValue
    }

    /// The 1-minute load average, for the report: other processes on the machine skew both sides.
    static var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}

/// Written by the stderr reader thread, read only after it has finished.
private final class ErrorSink: @unchecked Sendable {
    var data = Data()
}
