using System.Globalization;

namespace Sysprint.Model;

/// <summary>
/// The paper's fingerprint: for each system call, the calls that immediately follow it anywhere in
/// the normal executions, generalised to windows of <see cref="Window"/> calls (stide's k-grams).
/// A gram is the last up-to-<c>Window</c> calls of one thread ending at the current call; grams
/// shorter than the window occur only at a thread's start. Grams of length one are the known calls.
/// </summary>
/// <remarks>
/// Storage is compact: calls get dense ids; window 2 keeps a bit matrix over them, longer windows
/// keep each gram as a string of dense-id chars in a hash set probed through a span, so a lookup
/// never allocates.
/// </remarks>
public sealed class Fingerprint
{
    public const int MinWindow = 2;
    public const int MaxWindow = 16;

    // Dense ids for syscall numbers: an array for the usual small numbers, a dictionary beyond.
    private const int DirectNumbers = 4096;
    private readonly int[] _denseOfSmall = new int[DirectNumbers];
    private readonly Dictionary<int, int> _denseOfLarge = [];
    private readonly List<int> _numberOfDense = [];

    // Window 2: bit matrix, row per previous call, _rowWords ulongs per row.
    private ulong[] _pairs = [];
    private int _rowWords;

    // Windows 3..16: grams of length >= 2 as strings of dense ids.
    private readonly HashSet<string> _grams = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _gramsBySpan;

    private readonly List<bool> _known = [];

    // The parts of learnt grams (Seen), indexed at first need; dropped when a gram is added.
    private HashSet<string>? _parts;

    public Fingerprint(int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, MaxWindow);
        Window = window;
        _gramsBySpan = _grams.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Calls per gram, fixed when the profile is created (2 is the paper).</summary>
    public int Window { get; }

    /// <summary>Distinct grams of two or more calls: the fingerprint's size (transitions for window 2).</summary>
    public int TransitionCount { get; private set; }

    /// <summary>Distinct system calls seen.</summary>
    public int KnownCallCount { get; private set; }

    /// <summary>Adds a gram (syscall numbers, oldest first). Returns true when it was new.</summary>
    public bool Add(ReadOnlySpan<int> gram)
    {
        ValidateGram(gram);
        if (gram.Length == 1)
        {
            int d = DenseOf(gram[0], create: true);
            if (_known[d])
            {
                return false;
            }

            _known[d] = true;
            KnownCallCount++;
            return true;
        }

        if (Window == 2)
        {
            int prev = DenseOf(gram[0], create: true);
            int next = DenseOf(gram[1], create: true);
            EnsureMatrix();
            ref ulong word = ref _pairs[(prev * _rowWords) + (next >> 6)];
            ulong bit = 1UL << (next & 63);
            if ((word & bit) != 0)
            {
                return false;
            }

            word |= bit;
            TransitionCount++;
            return true;
        }

        Span<char> key = stackalloc char[gram.Length];
        for (int i = 0; i < gram.Length; i++)
        {
            key[i] = (char)DenseOf(gram[i], create: true);
        }

        if (_gramsBySpan.Contains(key))
        {
            return false;
        }

        _grams.Add(new string(key));
        _parts = null;
        TransitionCount++;
        return true;
    }

    /// <summary>True when the gram was learnt. Never allocates.</summary>
    public bool Contains(ReadOnlySpan<int> gram)
    {
        if (gram.Length == 1)
        {
            int d = DenseOf(gram[0], create: false);
            return d >= 0 && _known[d];
        }

        if (Window == 2 && gram.Length == 2)
        {
            int prev = DenseOf(gram[0], create: false);
            int next = DenseOf(gram[1], create: false);
            return prev >= 0 && next >= 0 && HasPair(prev, next);
        }

        if (gram.Length > Window)
        {
            return false;
        }

        Span<char> key = stackalloc char[gram.Length];
        for (int i = 0; i < gram.Length; i++)
        {
            int d = DenseOf(gram[i], create: false);
            if (d < 0)
            {
                return false;
            }

            key[i] = (char)d;
        }

        return _gramsBySpan.Contains(key);
    }

    /// <summary>
    /// True when normal runs made the calls of <paramref name="gram"/> in this order anywhere in a
    /// thread: the novelty rule every detector shares (<see cref="Detection.ScoredCall"/>). A gram of
    /// the fingerprint's window must be learnt; a shorter one (a thread's first calls) must occur
    /// within a learnt gram, not only at a learnt thread's start. Never allocates once the grams'
    /// parts are indexed (at the first call with a short gram); safe to call from several threads.
    /// </summary>
    public bool Seen(ReadOnlySpan<int> gram)
    {
        if (gram.Length == 1 || gram.Length == Window || Window == 2)
        {
            return Contains(gram);
        }

        if (gram.IsEmpty || gram.Length > Window)
        {
            return false;
        }

        Span<char> key = stackalloc char[gram.Length];
        for (int i = 0; i < gram.Length; i++)
        {
            int d = DenseOf(gram[i], create: false);
            if (d < 0)
            {
                return false;
            }

            key[i] = (char)d;
        }

        return Parts().Contains(key);
    }

    // Every run of 2 to Window - 1 calls inside a learnt gram: a run of a normal thread shorter than
    // the window lies within one of its full windows, or within its whole self when it is shorter.
    private HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Parts()
    {
        HashSet<string>? parts = Volatile.Read(ref _parts);
        if (parts is null)
        {
            parts = new HashSet<string>(StringComparer.Ordinal);
            foreach (string gram in _grams)
            {
                for (int length = 2; length < gram.Length; length++)
                {
                    for (int start = 0; start + length <= gram.Length; start++)
                    {
                        parts.Add(gram.Substring(start, length));
                    }
                }
            }

            parts.UnionWith(_grams);
            Volatile.Write(ref _parts, parts);
        }

        return parts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>True when the call was ever seen.</summary>
    public bool Knows(int number)
    {
        int d = DenseOf(number, create: false);
        return d >= 0 && _known[d];
    }

    /// <summary>Every gram, known calls (length 1) first, in a stable order.</summary>
    public IEnumerable<int[]> Grams()
    {
        var singles = new List<int[]>();
        for (int d = 0; d < _known.Count; d++)
        {
            if (_known[d])
            {
                singles.Add([_numberOfDense[d]]);
            }
        }

        var longer = new List<int[]>(TransitionCount);
        if (Window == 2)
        {
            int dense = _numberOfDense.Count;
            for (int p = 0; p < dense; p++)
            {
                for (int n = 0; n < dense; n++)
                {
                    if (HasPair(p, n))
                    {
                        longer.Add([_numberOfDense[p], _numberOfDense[n]]);
                    }
                }
            }
        }
        else
        {
            foreach (string key in _grams)
            {
                var gram = new int[key.Length];
                for (int i = 0; i < key.Length; i++)
                {
                    gram[i] = _numberOfDense[key[i]];
                }

                longer.Add(gram);
            }
        }

        singles.Sort(CompareGrams);
        longer.Sort(CompareGrams);
        return singles.Concat(longer);
    }

    /// <summary>For each known call, the calls that followed it (the paper's arrays), by number.</summary>
    public SortedDictionary<int, SortedSet<int>> Successors()
    {
        var result = new SortedDictionary<int, SortedSet<int>>();
        foreach (int[] gram in Grams())
        {
            if (gram.Length == 1)
            {
                result.TryAdd(gram[0], []);
            }
            else
            {
                int prev = gram[^2];
                if (!result.TryGetValue(prev, out SortedSet<int>? next))
                {
                    next = [];
                    result[prev] = next;
                }

                next.Add(gram[^1]);
            }
        }

        return result;
    }

    /// <summary>A gram as the store keeps it: numbers separated by spaces.</summary>
    public static string FormatGram(ReadOnlySpan<int> gram)
    {
        var parts = new string[gram.Length];
        for (int i = 0; i < gram.Length; i++)
        {
            parts[i] = gram[i].ToString(CultureInfo.InvariantCulture);
        }

        return string.Join(' ', parts);
    }

    /// <summary>Parses <see cref="FormatGram"/>'s output.</summary>
    public static int[] ParseGram(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var gram = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            gram[i] = int.Parse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        return gram;
    }

    private static int CompareGrams(int[] a, int[] b)
    {
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            int c = a[i].CompareTo(b[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    private void ValidateGram(ReadOnlySpan<int> gram)
    {
        if (gram.IsEmpty || gram.Length > Window)
        {
            throw new ArgumentOutOfRangeException(nameof(gram), $"a gram holds 1 to {Window} calls, not {gram.Length}");
        }
    }

    private int DenseOf(int number, bool create)
    {
        if ((uint)number < DirectNumbers)
        {
            int stored = _denseOfSmall[number] - 1;
            if (stored >= 0 || !create)
            {
                return stored;
            }

            int d = NewDense(number);
            _denseOfSmall[number] = d + 1;
            return d;
        }

        if (_denseOfLarge.TryGetValue(number, out int found))
        {
            return found;
        }

        if (!create)
        {
            return -1;
        }

        int id = NewDense(number);
        _denseOfLarge[number] = id;
        return id;
    }

    private int NewDense(int number)
    {
        if (_numberOfDense.Count >= char.MaxValue)
        {
            throw new InvalidOperationException("a fingerprint holds at most 65535 distinct system calls");
        }

        _numberOfDense.Add(number);
        _known.Add(false);
        return _numberOfDense.Count - 1;
    }

    private bool HasPair(int prev, int next)
    {
        // Calls added after the matrix last grew have no row or column yet: no pair holds them.
        if ((next >> 6) >= _rowWords || (prev + 1) * _rowWords > _pairs.Length)
        {
            return false;
        }

        return (_pairs[(prev * _rowWords) + (next >> 6)] & (1UL << (next & 63))) != 0;
    }

    private void EnsureMatrix()
    {
        int dense = _numberOfDense.Count;
        int neededWords = (dense + 63) >> 6;
        if (neededWords <= _rowWords && dense * _rowWords <= _pairs.Length)
        {
            return;
        }

        // Grow rows and columns geometrically so that adding calls stays amortised O(1).
        int newRowWords = Math.Max(neededWords, Math.Max(1, _rowWords));
        if (newRowWords > _rowWords)
        {
            newRowWords = Math.Max(newRowWords, _rowWords * 2);
        }

        int rows = Math.Max(dense, 64);
        rows = Math.Max(rows, _rowWords == 0 ? 0 : (_pairs.Length / _rowWords) * 2);
        var grown = new ulong[rows * newRowWords];
        if (_rowWords > 0)
        {
            int oldRows = _pairs.Length / _rowWords;
            for (int r = 0; r < oldRows; r++)
            {
                Array.Copy(_pairs, r * _rowWords, grown, r * newRowWords, _rowWords);
            }
        }

        _pairs = grown;
        _rowWords = newRowWords;
    }
}
