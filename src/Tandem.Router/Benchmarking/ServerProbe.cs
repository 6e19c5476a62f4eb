using System.Text.Json.Nodes;

namespace Tandem.Router.Benchmarking;

/// <summary>What the benchmark asks the server before it starts: the model name and, where a worker tells, the vocabulary size.</summary>
public static class ServerProbe
{
    public static async Task<string> FirstModelAsync(HttpClient http, Uri baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var json = JsonNode.Parse(await http.GetStringAsync(new Uri(baseUrl, "v1/models"), cancellationToken).ConfigureAwait(false));
        return json?["data"] is JsonArray { Count: > 0 } data && (string?)data[0]?["id"] is { } id
            ? id
            : throw new InvalidOperationException($"{baseUrl}v1/models lists no model; pass --model");
    }

    /// <summary>The <c>vocab_size</c> anywhere in <c>GET /server_info</c>, or null when it is not reachable or says none.</summary>
    public static async Task<int?> VocabSizeAsync(HttpClient http, Uri baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            using var response = await http.GetAsync(new Uri(baseUrl, "server_info"), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            return Find(JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)));
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static int? Find(JsonNode? node)
    {
        if (node is not JsonObject o)
        {
            return null;
        }

        if (o["vocab_size"] is JsonValue v && v.TryGetValue<int>(out var vocab) && vocab > RandomDataset.FirstTokenId)
        {
            return vocab;
        }

        return o.Select(p => Find(p.Value)).FirstOrDefault(x => x is not null);
    }
}
