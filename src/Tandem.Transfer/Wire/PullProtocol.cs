namespace Tandem.Transfer.Wire;

// The KV pull protocol over one TCP connection per transfer. Every frame is
//   type u8 | length u32 LE | payload[length]
// control payloads use WireWriter's encoding (integers little-endian, strings u16 length + UTF-8).
//
//  receiver (generation server)                          sender (context server)
//    │── Hello  magic "TKVP" | version u8 | request id | secret[32] ──>│ claim: secret checked in constant time
//    │<── Error code u8 | reason ─────────────────── (bad secret, unknown, expired: nothing sent) ──│ close
//    │<── Header layout | token count i32 | total bytes i64 | chunk bytes i32 ──│ export (engine copies the blocks)
//    │ layout == local?                                                        │
//    │── Error LayoutMismatch | reason ──> (close; the blocks stay leased)     │
//    │── Ready ──────────────────────────────────────────────────────────────>│
//    │<── Data bytes (≤ chunk bytes each, straight from the snapshot) × n ─────│
//    │<── End ─────────────────────────────────────────────────────────────────│
//    │── Ack ────────────────────────────────────────────────────────────────>│ release the blocks
//    ╵                                                                         ╵ close
//
// A connection lost before the Ack leaves the blocks held: the request can be pulled again until its lease ends.
internal static class PullProtocol
{
    public const byte Version = 1;

    public const int FrameHeaderLength = 5;

    /// <summary>Largest control payload accepted (hello, header, error).</summary>
    public const int MaxControlPayload = 64 * 1024;

    /// <summary>Largest data frame a sender cuts, whatever <c>max_tokens_in_buffer</c> allows.</summary>
    public const int MaxChunkBytes = 4 * 1024 * 1024;

    public static ReadOnlySpan<byte> Magic => "TKVP"u8;
}
