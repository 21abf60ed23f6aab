import Foundation

/// Why a command line was refused; the CLI prints it and exits with status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// A parsed command line: `--flag value`, `--flag=value`, boolean `--switch`, repeated `-X key=value`
/// and positional operands. Every flag a command reads is recorded so that `finish()` can reject the
/// ones nobody asked for, instead of silently ignoring a typo.
final class Arguments {
    private var options: [String: [String]] = [:]
    private var switches: Set<String> = []
    private(set) var positionals: [String] = []
    private var consumed: Set<String> = []
    let booleanFlags: Set<String>

    /// `booleanFlags` lists the flags that take no value (for example `json`, `activate`).
    init(_ arguments: [String], booleanFlags: Set<String> = []) throws {
        self.booleanFlags = booleanFlags.union(["help"])
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positionals.append(contentsOf: arguments[index...])
                break
            }
            if argument == "-X" {
                guard index < arguments.count else { throw UsageError("-X needs key=value") }
                options["X", default: []].append(arguments[index])
                index += 1
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positionals.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if self.booleanFlags.contains(name) {
                if let value, !["true", "false", "1", "0"].contains(value) {
                    throw UsageError("--\(name) takes no value (got '\(value)')")
                }
                if value != "false" && value != "0" { switches.insert(name) }
                continue
            }
            if value == nil {
                guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            options[name, default: []].append(value!)
        }
    }

    var wantsHelp: Bool { switches.contains("help") }

    func flag(_ name: String) -> Bool {
        consumed.insert(name)
        return switches.contains(name)
    }

    func string(_ name: String) -> String? {
        consumed.insert(name)
        return options[name]?.last
    }

    func string(_ name: String, default value: String) -> String { string(name) ?? value }

    func required(_ name: String) throws -> String {
        guard let value = string(name) else { throw UsageError("--\(name) is required") }
        return value
    }

    func all(_ name: String) -> [String] {
        consumed.insert(name)
        return options[name] ?? []
    }

    func int(_ name: String) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else { throw UsageError("--\(name) must be an integer (got '\(text)')") }
        return value
    }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        let result = try int(name) ?? value
        if let range, !range.contains(result) {
            throw UsageError("--\(name) must be in \(range.lowerBound)...\(range.upperBound) (got \(result))")
        }
        return result
    }

    func double(_ name: String) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw UsageError("--\(name) must be a number (got '\(text)')")
        }
        return value
    }

    func double(_ name: String, default value: Double) throws -> Double { try double(name) ?? value }

    /// `-X key=value` pairs, in order, for librdkafka.
    func kafkaProperties() throws -> [(String, String)] {
        try all("X").map { pair in
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("-X expects key=value (got '\(pair)')")
            }
            return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
        }
    }

    /// Rejects flags that the command never read, and positional operands when it takes none.
    func finish(allowPositionals: Bool = false) throws {
        let unknown = Set(options.keys).union(switches).subtracting(consumed).subtracting(["help"])
        if let first = unknown.sorted().first {
            throw UsageError(first == "X" ? "-X is not used by this command" : "unknown option --\(first)")
        }
        if !allowPositionals, let first = positionals.first {
            throw UsageError("unexpected argument '\(first)'")
        }
    }
}

/// Where the PostgreSQL and Kafka settings come from, in the order of ARCHITECTURE §9.
extension Arguments {
    /// `--database-url`, else `DATABASE_URL`, else "" so that libpq reads its own `PG*` variables.
    func databaseURL() -> String {
        string("database-url") ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
    }

    func bootstrapServers() throws -> String {
        if let value = string("bootstrap") ?? ProcessInfo.processInfo.environment["RECAME_BOOTSTRAP"] {
            return value
        }
        throw UsageError("no Kafka bootstrap servers: pass --bootstrap HOST:PORT or set RECAME_BOOTSTRAP")
    }

    func topic() -> String { string("topic", default: "recame.images") }
}
