import Foundation

/// Finds the passwords in a connection URL or `key=value` string so that they never reach a log or an
/// error message (libpq echoes parts of a malformed connection string back).
public enum ConnectionString {
    /// The URL with every password replaced by `***`, for printing.
    public static func redacted(_ url: String) -> String {
        secrets(in: url).reduce(url) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    static func secrets(in url: String) -> [String] {
        var found: [String] = []
        for scheme in ["postgresql://", "postgres://"] where url.hasPrefix(scheme) {
            let rest = url.dropFirst(scheme.count)
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                let password = String(authority[authority.index(after: colon)..<at])
                found.append(password)
                if let decoded = password.removingPercentEncoding { found.append(decoded) }
            }
        }
        // `password=…` as a URL query parameter or a keyword/value pair, quoted or not.
        var remaining = Substring(url)
        while let range = remaining.range(of: "password") {
            var value = remaining[range.upperBound...].drop { $0 == " " }
            guard value.first == "=" else {
                remaining = remaining[range.upperBound...]
                continue
            }
            value = value.dropFirst().drop { $0 == " " }
            let secret: Substring
            if value.first == "'" {
                let body = value.dropFirst()
                secret = body.prefix { $0 != "'" }
            } else {
                secret = value.prefix { $0 != "&" && $0 != " " }
            }
            found.append(String(secret))
            if let decoded = String(secret).removingPercentEncoding { found.append(decoded) }
            remaining = value
        }
        // Longest first, so that a password containing another never leaves a fragment behind.
        return Array(Set(found.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }
}
