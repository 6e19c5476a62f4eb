namespace Tandem.Engine.Tokenization;

/// <summary>
/// A token matched literally in the input before normalization (e.g. <c>&lt;s&gt;</c>, <c>&lt;|user|&gt;</c>).
/// <see cref="LeftStrip"/>/<see cref="RightStrip"/>: it swallows the whitespace before/after it.
/// </summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LeftStrip = false, bool RightStrip = false);
