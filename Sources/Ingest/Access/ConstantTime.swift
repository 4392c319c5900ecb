/// Byte comparison whose running time does not depend on where the inputs differ.
enum ConstantTime {
    /// Whether `a` and `b` are equal. Takes time proportional to the longer input whatever
    /// their contents, so an attacker timing answers learns nothing about a token's bytes (only,
    /// at most, that lengths differ). Walks both without copying them.
    static func equal(_ a: some Sequence<UInt8>, _ b: [UInt8]) -> Bool {
        var difference: UInt8 = 0
        var index = 0
        for x in a {
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
            index += 1
        }
        // A different length differs too; the shorter side was compared against zeros.
        if index != b.count { difference |= 1 }
        var extra = index
        while extra < b.count {
            difference |= b[extra] ^ 0
            extra += 1
        }
        return difference == 0
    }
}
