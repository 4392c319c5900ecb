import ArgumentParser
import Crypto
import Foundation

/// `vigil keygen`: prints a new gossip key (32 random bytes, base64), or with `--token` an
/// HTTP token (32 random bytes, base64url without padding: safe in a URL path).
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a new gossip key (for gossip.keys or `vigil keyring install`) or, with --token, an HTTP token."
    )

    @Flag(help: "Print an HTTP token (for http.admin_token, http.read_token, http.ingest_tokens) instead.")
    var token = false

    func run() {
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        guard token else { return print(key) }
        print(String(key.compactMap { c -> Character? in c == "+" ? "-" : c == "/" ? "_" : c == "=" ? nil : c }))
    }
}
