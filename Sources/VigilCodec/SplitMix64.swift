/// A small seeded generator (SplitMix64): deterministic peer choice in simulations, and seeded
/// inputs in tests (fuzzing, damage tables) so that a failure replays.
///
/// Cores never create randomness; they take `using: inout some RandomNumberGenerator`. The UDP
/// shell seeds one of these from the system generator, tests from a fixed seed so a failure replays.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
