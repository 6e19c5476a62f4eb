using System.Buffers;
using System.Text.Json;

namespace Tandem.Router.Forwarding;

/// <summary>
/// Watches a relayed SSE stream for its first chunk that carries generated content (<c>text</c>, or a chat delta's
/// <c>content</c>, <c>reasoning_content</c> or <c>tool_calls</c>), skipping what a worker sends before it (a chat's
/// role-only chunk, an echoed prompt is content). Stops looking once found; an event larger than
/// <see cref="MaxEventBytes"/> ends the watch without a find.
/// </summary>
internal sealed class FirstContentWatch
{
    public const int MaxEventBytes = 1 << 20;

    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private bool _done;

    /// <summary>True once, for the read that completed the first content chunk.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes)
    {
        if (_done)
        {
            return false;
        }

        _pending.Write(bytes);
        var text = _pending.WrittenSpan;
        var consumed = 0;
        int end;
        while ((end = text[consumed..].IndexOf("\n\n"u8)) >= 0)
        {
            if (HasContent(text.Slice(consumed, end)))
            {
                _done = true;
                _pending.Clear();
                return true;
            }

            consumed += end + 2;
        }

        var rest = text[consumed..].ToArray();
        _pending.Clear();
        _pending.Write(rest);
        _done = rest.Length > MaxEventBytes;
        return false;
    }

    private static bool HasContent(ReadOnlySpan<byte> sseEvent)
    {
        foreach (var range in sseEvent.Split((byte)'\n'))
        {
            var line = sseEvent[range].TrimEnd((byte)'\r');
            if (!line.StartsWith("data:"u8))
            {
                continue;
            }

            var data = line["data:"u8.Length..].TrimStart((byte)' ');
            if (data.SequenceEqual("[DONE]"u8))
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(data.ToArray());
                if (json.RootElement.ValueKind == JsonValueKind.Object
                    && json.RootElement.TryGetProperty("choices", out var choices)
                    && choices.ValueKind == JsonValueKind.Array
                    && choices.EnumerateArray().Any(ChoiceHasContent))
                {
                    return true;
                }
            }
            catch (JsonException)
            {
            }
        }

        return false;
    }

    private static bool ChoiceHasContent(JsonElement choice)
    {
        if (choice.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (NonEmptyString(choice, "text"))
        {
            return true;
        }

        return choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
            && (NonEmptyString(delta, "content") || NonEmptyString(delta, "reasoning_content")
                || (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0));
    }

    private static bool NonEmptyString(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;
}
