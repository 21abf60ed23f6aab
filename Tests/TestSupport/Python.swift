import Foundation

/// The system's `python3`, for tests that check interoperability with Python's `safetensors` and the
/// PyTorch reference in bench/.
public enum Python {
    /// Whether `python3` can import every module in `modules`; answered once per process and list,
    /// because importing torch alone takes seconds.
    public static func canImport(_ modules: [String]) -> Bool {
        let key = modules.joined(separator: ",")
        if let known = cache.withLock({ $0[key] }) { return known }
        let answer = probe(modules)
        cache.withLock { $0[key] = answer }
        return answer
    }

    private static let cache = LockedDictionary()

    private static func probe(_ modules: [String]) -> Bool {
        let script = modules.map { "import \($0)" }.joined(separator: "; ")
        guard let result = try? ChildProcess.run("/usr/bin/env", ["python3", "-c", script], timeout: 60) else {
            return false
        }
        return result.status == 0
    }

    /// Runs `python3 arguments…` and returns its standard output, throwing with its standard error when
    /// it exits with a non-zero status.
    @discardableResult
    public static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> String {
        let result = try ChildProcess.run("/usr/bin/env", ["python3"] + arguments, timeout: timeout)
        guard result.status == 0 else {
            throw PythonError(arguments: arguments, status: result.status, standardError: result.standardError)
        }
        return result.standardOutput
    }

    /// Runs `python3 arguments…` and returns the whole result, whatever the exit status.
    public static func result(_ arguments: [String], timeout: TimeInterval = 120) throws -> ChildProcess.Result {
        try ChildProcess.run("/usr/bin/env", ["python3"] + arguments, timeout: timeout)
    }
}

public struct PythonError: Error, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let standardError: String

    public var description: String {
        "python3 \(arguments.prefix(1).joined()) … exited with status \(status):\n\(standardError)"
    }
}

private final class LockedDictionary: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Bool] = [:]

    func withLock<T>(_ body: (inout [String: Bool]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&values)
    }
}
