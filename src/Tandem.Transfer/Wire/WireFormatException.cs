namespace Tandem.Transfer.Wire;

/// <summary>Bytes from a peer that do not follow the format; caught at the role boundary and turned into a result.</summary>
internal sealed class WireFormatException(string message) : Exception(message);
