using System.Text.Json;

namespace Tandem.Router.Benchmarking;

/// <summary>Prompts from a file: a JSON list of strings, or JSONL with a <c>prompt</c> field (or a bare string) per line.</summary>
public static class PromptFileDataset
{
    public static IReadOnlyList<string> Load(string path)
    {
        var text = File.ReadAllText(path);
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('['))
        {
            return JsonSerializer.Deserialize<string[]>(trimmed) is { Length: > 0 } list ? list : throw new InvalidDataException($"{path} holds no prompts");
        }

        var prompts = new List<string>();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            prompts.Add(root.ValueKind switch
            {
                JsonValueKind.String => root.GetString()!,
                JsonValueKind.Object when root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String => p.GetString()!,
                _ => throw new InvalidDataException($"{path}:{lineNumber}: expected an object with a string \"prompt\""),
            });
        }

        return prompts.Count > 0 ? prompts : throw new InvalidDataException($"{path} holds no prompts");
    }

    /// <summary><paramref name="count"/> requests cycling through the prompts; input lengths are word counts until the server reports tokens.</summary>
    public static IReadOnlyList<BenchRequest> Requests(IReadOnlyList<string> prompts, int count, int outputLen, double rangeRatio, Random random)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(random);
        var outputs = LengthRange.Of(outputLen, rangeRatio);
        return Enumerable.Range(0, count)
            .Select(i => prompts[i % prompts.Count])
            .Select(p => new BenchRequest(p, null, p.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length, outputs.Sample(random)))
            .ToArray();
    }
}
