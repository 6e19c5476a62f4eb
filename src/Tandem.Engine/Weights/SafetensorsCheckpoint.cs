using System.Text.Json;
using Tandem.Engine.Models;

namespace Tandem.Engine.Weights;

/// <summary>
/// The safetensors files of a model directory: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c>'s <c>weight_map</c>. Owns the mappings of every file.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _byTensor;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> byTensor, string source)
    {
        _files = files;
        _byTensor = byTensor;
        Source = source;
    }

    /// <summary>The index file, or the single safetensors file.</summary>
    public string Source { get; }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    public static SafetensorsCheckpoint Open(string modelDirectory)
    {
        var index = Path.Combine(modelDirectory, IndexFileName);
        if (File.Exists(index))
        {
            return OpenSharded(modelDirectory, index);
        }

        var single = Path.Combine(modelDirectory, SingleFileName);
        if (!File.Exists(single))
        {
            throw new ModelLoadException(modelDirectory, [$"no weights: neither {SingleFileName} nor {IndexFileName} exists"]);
        }

        var file = SafetensorsFile.Open(single);
        return new SafetensorsCheckpoint([file], file.Tensors.Keys.ToDictionary(k => k, _ => file, StringComparer.Ordinal), single);
    }

    /// <summary>Finds a tensor and the file that holds it; false when the checkpoint lacks it.</summary>
    public bool TryFind(string name, out SafetensorsFile file, out SafetensorsTensor tensor)
    {
        if (_byTensor.TryGetValue(name, out var found) && found.Tensors.TryGetValue(name, out var t))
        {
            file = found;
            tensor = t;
            return true;
        }

        file = null!;
        tensor = null!;
        return false;
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private static SafetensorsCheckpoint OpenSharded(string modelDirectory, string index)
    {
        var weightMap = ReadWeightMap(index);
        var files = new List<SafetensorsFile>();
        var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var byTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (!byName.TryGetValue(shard, out var file))
                {
                    var path = Path.Combine(modelDirectory, shard);
                    if (!File.Exists(path))
                    {
                        throw new ModelLoadException(index, [$"shard '{shard}' (holding tensor '{tensor}') does not exist"]);
                    }

                    file = SafetensorsFile.Open(path);
                    files.Add(file);
                    byName.Add(shard, file);
                }

                if (!file.Tensors.ContainsKey(tensor))
                {
                    throw new ModelLoadException(file.Path, [$"tensor '{tensor}' is listed in {IndexFileName} but missing from the file"]);
                }

                byTensor.Add(tensor, file);
            }
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }

        return new SafetensorsCheckpoint(files, byTensor, index);
    }

    private static List<KeyValuePair<string, string>> ReadWeightMap(string index)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(index));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(index, ["weight_map: missing or not an object"]);
            }

            var entries = new List<KeyValuePair<string, string>>();
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
                if (string.IsNullOrEmpty(shard) || Path.IsPathRooted(shard) || shard.Contains("..", StringComparison.Ordinal))
                {
                    throw new ModelLoadException(index, [$"weight_map: tensor '{entry.Name}' has a bad shard name {entry.Value.GetRawText()}"]);
                }

                entries.Add(new(entry.Name, shard));
            }

            return entries;
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(index, [$"not valid JSON ({e.Message})"], e);
        }
    }
}
