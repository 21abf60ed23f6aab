import Foundation

extension TestEnvironment {
    /// `databaseURL` pointed at another database on the same server (for scratch databases that a test
    /// creates and drops).
    public static func databaseURL(database: String) -> String {
        let base = databaseURL
        if var components = URLComponents(string: base), let scheme = components.scheme,
            scheme.hasPrefix("postgres")
        {
            components.path = "/" + database
            return components.string ?? base
        }
        // A key=value connection string: a later dbname wins.
        return base + " dbname=" + database
    }
}
