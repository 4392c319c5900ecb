/// Byte comparison whose running time does not depend on where the inputs differ.
enum ConstantTime {
    /// Whether `a` and `b` are equal. Takes time proportional to the longer input whatever
    /// their contents, so an attacker timing answers learns nothing about a token's bytes (only,
    /// at most, that lengths differ).
    static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let left = Array(a)
        let right = Array(b)
        let length = max(left.count, right.count)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count) | (left.count == right.count ? 0 : 1)
        for index in 0..<length {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
