using Tandem.Engine.Models;

namespace Tandem.Engine.Gguf;

/// <summary>
/// A GGUF file's key/value metadata. Scalars are boxed .NET values (byte, int, uint, float, bool,
/// string, ...); arrays are typed .NET arrays (string[], float[], int[], ...). Typed getters accept
/// any integer width and report a wrong type as an error naming the file and the key.
/// </summary>
public sealed class GgufMetadata
{
    private readonly Dictionary<string, object> _values;
    private readonly string _path;

    internal GgufMetadata(Dictionary<string, object> values, string path)
    {
        _values = values;
        _path = path;
    }

    public IReadOnlyDictionary<string, object> Values => _values;

    public bool Contains(string key) => _values.ContainsKey(key);

    public string? GetString(string key) => Get(key) switch
    {
        null => null,
        string s => s,
        var other => throw Wrong(key, other, "a string"),
    };

    public long? GetInteger(string key) => Get(key) switch
    {
        null => null,
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v when v <= long.MaxValue => (long)v,
        long v => v,
        var other => throw Wrong(key, other, "an integer"),
    };

    public double? GetFloat(string key) => Get(key) switch
    {
        null => null,
        float v => v,
        double v => v,
        byte or sbyte or ushort or short or uint or int or ulong or long => GetInteger(key),
        var other => throw Wrong(key, other, "a number"),
    };

    public bool? GetBool(string key) => Get(key) switch
    {
        null => null,
        bool b => b,
        var other => throw Wrong(key, other, "a bool"),
    };

    /// <summary>An array value of element type <typeparamref name="T"/>; null when the key is absent.</summary>
    public T[]? GetArray<T>(string key) => Get(key) switch
    {
        null => null,
        T[] a => a,
        var other => throw Wrong(key, other, $"an array of {typeof(T).Name}"),
    };

    private object? Get(string key) => _values.GetValueOrDefault(key);

    private ModelLoadException Wrong(string key, object value, string expected) =>
        new(_path, [$"metadata '{key}' is {value.GetType().Name}, expected {expected}"]);
}
