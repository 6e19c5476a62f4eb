namespace Tandem.Transfer.Wire;

/// <summary>The first byte of every frame; values are the wire format and must not change.</summary>
internal enum FrameType : byte
{
    Hello = 1,
    Header = 2,
    Ready = 3,
    Data = 4,
    End = 5,
    Ack = 6,
    Error = 7,
}
