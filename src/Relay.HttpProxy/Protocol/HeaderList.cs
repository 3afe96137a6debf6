using System.Collections;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// The header fields of a relayed head, in the order they came, one entry per field line (a name
/// sent twice appears twice). Immutable, compared by value, and held as the names and values
/// alternating, which is how heads carry them on the wire.
/// </summary>
[CollectionBuilder(typeof(HeaderList), nameof(Create))]
internal sealed class HeaderList : IReadOnlyList<HeaderField>, IEquatable<HeaderList>
{
    private readonly string[] _namesAndValues;

    private HeaderList(string[] namesAndValues) => _namesAndValues = namesAndValues;

    public static HeaderList Empty { get; } = new([]);

    public int Count => _namesAndValues.Length / 2;

    public HeaderField this[int index] => new(_namesAndValues[2 * index], _namesAndValues[(2 * index) + 1]);

    /// <summary>Names and values alternating, as heads carry them.</summary>
    public ReadOnlySpan<string> NamesAndValues => _namesAndValues;

    public static HeaderList Create(ReadOnlySpan<HeaderField> fields)
    {
        if (fields.IsEmpty)
        {
            return Empty;
        }

        var namesAndValues = new string[fields.Length * 2];
        for (var i = 0; i < fields.Length; i++)
        {
            namesAndValues[2 * i] = fields[i].Name;
            namesAndValues[(2 * i) + 1] = fields[i].Value;
        }

        return new HeaderList(namesAndValues);
    }

    /// <summary>Takes names and values alternating (the array is kept, not copied).</summary>
    /// <exception cref="ArgumentException">The count is odd: a name has no value.</exception>
    public static HeaderList FromNamesAndValues(string[] namesAndValues)
    {
        ArgumentNullException.ThrowIfNull(namesAndValues);
        if (namesAndValues.Length % 2 != 0)
        {
            throw new ArgumentException("Header names and values must alternate; the last name has no value.", nameof(namesAndValues));
        }

        return namesAndValues.Length == 0 ? Empty : new HeaderList(namesAndValues);
    }

    /// <summary>The first value of the header, its name compared without case; null when it is absent.</summary>
    public string? FirstValue(string name)
    {
        foreach (var field in this)
        {
            if (string.Equals(field.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }

        return null;
    }

    /// <summary>The same fields with one more at the end.</summary>
    public HeaderList With(string name, string value) => new([.. _namesAndValues, name, value]);

    /// <summary>Adds every field to a response being written, keeping repeated fields apart.</summary>
    public void AppendTo(IHeaderDictionary headers)
    {
        foreach (var field in this)
        {
            headers.Append(field.Name, field.Value);
        }
    }

    /// <summary>Adds every field to an outgoing request: to its headers, or to its content's where .NET files them (Content-Type and the like).</summary>
    public void AddTo(HttpRequestMessage message)
    {
        foreach (var field in this)
        {
            AddField(message, field.Name, field.Value);
        }
    }

    /// <summary>Adds one field as it came, unparsed, where .NET files it.</summary>
    public static void AddField(HttpRequestMessage message, string name, string value)
    {
        if (!message.Headers.TryAddWithoutValidation(name, value))
        {
            message.Content?.Headers.TryAddWithoutValidation(name, value);
        }
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<HeaderField> IEnumerable<HeaderField>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(HeaderList? other) => other is not null && _namesAndValues.AsSpan().SequenceEqual(other._namesAndValues);

    public override bool Equals(object? obj) => Equals(obj as HeaderList);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var value in _namesAndValues)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => string.Join("; ", this.Select(field => $"{field.Name}: {field.Value}"));

    /// <summary>Walks the fields without allocating.</summary>
    public struct Enumerator(HeaderList list) : IEnumerator<HeaderField>
    {
        private int _index = -1;

        public readonly HeaderField Current => list[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < list.Count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
