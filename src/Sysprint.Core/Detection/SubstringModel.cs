namespace Sysprint.Detection;

/// <summary>
/// Every window of 1 to <see cref="MaxWindow"/> consecutive calls seen in normal traces, with how
/// often it was seen: the fingerprint of the paper for all window lengths at once (a window of k
/// calls is seen exactly when the k-gram fingerprint holds it). Detectors read a trace through
/// <see cref="Analyse"/>, which finds for each call the
/// longest seen window ending at it: since a window containing an unseen window is unseen, that one
/// number per call answers "is the k-window here seen?" for every k.
/// </summary>
public sealed class SubstringModel
{
    /// <summary>Longest window tracked.</summary>
    public const int MaxWindow = 10;

    private const int MaxIds = (1 << WindowTrie.IdBits) - 1;
    private const int DirectNumbers = 4096;

    private readonly int[] _idOfSmall = new int[DirectNumbers];
    private readonly Dictionary<int, int> _idOfLarge = [];
    private readonly List<int> _numberOfId = [0];
    private readonly WindowTrie _trie;
    private readonly int[] _distinct = new int[MaxWindow + 1];
    private readonly long[] _totals = new long[MaxWindow + 1];
    private State _state = State.Learning;

    // A model is learnt from traces or loaded from stored totals, never both; reading freezes it.
    private enum State
    {
        Learning,
        Loading,
        Frozen,
    }

    /// <param name="capacity">Windows to make room for at first (the model grows as needed): small for one log's model.</param>
    public SubstringModel(int capacity = 1 << 16)
    {
        _trie = new WindowTrie(capacity);
    }

    /// <summary>Distinct windows of <paramref name="k"/> calls seen.</summary>
    public int Distinct(int k) => _distinct[k];

    /// <summary>Windows of <paramref name="k"/> calls seen, with repetition.</summary>
    public long Total(int k) => _totals[k];

    /// <summary>Distinct calls learnt.</summary>
    public int CallCount => _numberOfId.Count - 1;

    /// <summary>Learns one thread's calls as part of learnt trace <paramref name="trace"/>.</summary>
    /// <remarks>Traces are learnt one after the other (all threads of one, then the next): the trace
    /// ids let the model tell, for every window, whether a single trace holds it.</remarks>
    public void Learn(ReadOnlySpan<int> calls, int trace = 0)
    {
        var cursor = new WindowCursor();
        foreach (int call in calls)
        {
            Learn(cursor, call, trace);
        }
    }

    /// <summary>Learns the next call of a thread whose place <paramref name="cursor"/> keeps (streaming).</summary>
    public void Learn(WindowCursor cursor, int call, int trace)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (_state != State.Learning)
        {
            ThrowNotLearning();
        }

        // The longest window ending here is the one ending at the call before, less its oldest call
        // once it is MaxWindow long, followed by this call.
        int window = _trie.Depth(cursor.Node) == MaxWindow ? _trie.Parent(cursor.Node) : cursor.Node;
        int node = _trie.Extend(window, IdOf(call, create: true), _distinct);
        cursor.Node = node;
        cursor.Position++;
        _trie.AddEnd(node, trace, atStart: cursor.Position <= MaxWindow);
        for (int k = _trie.Depth(node); k > 0; k--)
        {
            _totals[k]++;
        }
    }

    /// <summary>
    /// This model's windows with their totals, compact, to store with the one log it learnt: per
    /// window, in the order they were made (a window after the shorter one it extends), the index
    /// of that shorter window, the call it prepends, how often the window occurred and how often it
    /// opened a thread, each as a variable-length unsigned number.
    /// </summary>
    public byte[] ToBytes()
    {
        Freeze();
        var buffer = new List<byte>(_trie.NodeCount * 6) { FormatVersion };
        WriteNumber(buffer, (uint)(_trie.NodeCount - 1));
        for (int node = 1; node < _trie.NodeCount; node++)
        {
            WriteNumber(buffer, (uint)_trie.Parent(node));
            WriteNumber(buffer, unchecked((uint)_numberOfId[_trie.Id(node)]));
            WriteNumber(buffer, (uint)_trie.Count(node));
            WriteNumber(buffer, (uint)_trie.Starts(node));
        }

        return [.. buffer];
    }

    /// <summary>
    /// Adds one learnt log's windows, as <see cref="ToBytes"/> wrote them, held by trace
    /// <paramref name="trace"/>: the model becomes the one learnt from every log added. Returns the
    /// log's distinct calls, ascending (its vocabulary).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not such a list.</exception>
    public int[] AddLog(ReadOnlySpan<byte> windows, int trace)
    {
        if (_state == State.Learning && _trie.NodeCount == 1)
        {
            _state = State.Loading;
        }

        if (_state != State.Loading)
        {
            throw new InvalidOperationException("stored logs are added to an empty model, before it is read");
        }

        int at = 0;
        if (windows.Length == 0 || windows[at++] != FormatVersion)
        {
            throw new InvalidDataException($"stored windows of an unknown format (version {(windows.Length == 0 ? "none" : windows[0].ToString(System.Globalization.CultureInfo.InvariantCulture))})");
        }

        uint count = ReadNumber(windows, ref at);
        if (count > (uint)windows.Length)
        {
            throw new InvalidDataException($"stored windows announce {count} windows in {windows.Length} bytes");
        }

        var nodes = new int[count + 1];
        var vocabulary = new List<int>();
        for (int i = 1; i <= count; i++)
        {
            uint parent = ReadNumber(windows, ref at);
            int call = unchecked((int)ReadNumber(windows, ref at));
            uint occurrences = ReadNumber(windows, ref at);
            uint starts = ReadNumber(windows, ref at);
            if (parent >= i || occurrences > int.MaxValue || starts > occurrences)
            {
                throw new InvalidDataException($"stored window {i} is not a window of the ones before it");
            }

            int id;
            try
            {
                id = IdOf(call, create: true);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException(e.Message, e);
            }

            int node = _trie.GetOrAddChild(nodes[parent], id, out bool created);
            int depth = _trie.Depth(node);
            if (depth > MaxWindow)
            {
                throw new InvalidDataException($"stored window {i} is longer than {MaxWindow} calls");
            }

            if (created)
            {
                _distinct[depth]++;
            }

            if (parent == 0)
            {
                vocabulary.Add(call);
            }

            nodes[i] = node;
            _trie.Add(node, (int)occurrences, (int)starts, 1, trace);
            _totals[depth] += occurrences;
        }

        if (at != windows.Length)
        {
            throw new InvalidDataException($"{windows.Length - at} bytes after the stored windows");
        }

        vocabulary.Sort();
        return [.. vocabulary];
    }

    /// <summary>Every learnt window, calls oldest first, with its totals; shorter windows first.</summary>
    public void ForEachWindow(WindowVisitor visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        Freeze();
        Span<int> calls = stackalloc int[MaxWindow];
        var order = new int[_trie.NodeCount - 1];
        for (int node = 1; node < _trie.NodeCount; node++)
        {
            order[node - 1] = node;
        }

        // Nodes are numbered in creation order, which puts a window after its newer part but not
        // after every shorter window; sorting by length makes the order simple to state.
        int[] depths = [.. order.Select(_trie.Depth)];
        Array.Sort(depths, order);
        foreach (int node in order)
        {
            int length = 0;
            for (int n = node; n != 0; n = _trie.Parent(n))
            {
                calls[length++] = _numberOfId[_trie.Id(n)];
            }

            visit(calls[..length], _trie.Count(node), _trie.Starts(node), _trie.Traces(node), _trie.Owner(node));
        }
    }

    /// <summary>
    /// Stide's unseen-window counts of each learnt trace, as if it alone had not been learnt
    /// (leave-one-out), for k = 0..<see cref="MaxWindow"/>: the trace's windows that no other trace
    /// holds. Derived from the totals alone, so a stored model calibrates as the evaluation does.
    /// Traces holding no window of their own are absent (all their counts are 0).
    /// </summary>
    public Dictionary<int, long[]> NovelWhenLeftOut()
    {
        Freeze();
        var novel = new Dictionary<int, long[]>();
        for (int node = 1; node < _trie.NodeCount; node++)
        {
            if (_trie.Traces(node) != 1)
            {
                continue;
            }

            int owner = _trie.Owner(node);
            if (!novel.TryGetValue(owner, out long[]? counts))
            {
                counts = new long[MaxWindow + 1];
                novel[owner] = counts;
            }

            // A full window of k calls unseen elsewhere is one unseen k-window per occurrence; a
            // shorter one at a thread's start is the whole prefix there, unseen for every longer k.
            int depth = _trie.Depth(node);
            counts[depth] += _trie.Count(node);
            for (int k = depth + 1; k <= MaxWindow; k++)
            {
                counts[k] += _trie.Starts(node);
            }
        }

        return novel;
    }

    /// <summary>
    /// Stide's unseen-window counts (k = 0..<see cref="MaxWindow"/>) of one learnt log, given by its
    /// stored windows (<see cref="ToBytes"/>), against only the traces numbered below
    /// <paramref name="before"/>: the log as it would have been checked had it come after them and
    /// nothing else. Traces are numbered in the order they were learnt, so this holds a log out of
    /// what was learnt after it.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not such a list.</exception>
    public long[] NovelBefore(ReadOnlySpan<byte> windows, int before)
    {
        Freeze();
        int at = 0;
        if (windows.Length == 0 || windows[at++] != FormatVersion)
        {
            throw new InvalidDataException("stored windows of an unknown format");
        }

        uint count = ReadNumber(windows, ref at);
        if (count > (uint)windows.Length)
        {
            throw new InvalidDataException($"stored windows announce {count} windows in {windows.Length} bytes");
        }

        var counts = new long[MaxWindow + 1];
        var nodes = new int[count + 1];
        var depths = new int[count + 1];
        for (int i = 1; i <= count; i++)
        {
            uint parent = ReadNumber(windows, ref at);
            int call = unchecked((int)ReadNumber(windows, ref at));
            uint occurrences = ReadNumber(windows, ref at);
            uint starts = ReadNumber(windows, ref at);
            if (parent >= i || starts > occurrences || depths[parent] >= MaxWindow)
            {
                throw new InvalidDataException($"stored window {i} is not a window of the ones before it");
            }

            // A window this model never learnt (-1) is unseen, and so is every window holding it.
            int id = IdOf(call, create: false);
            int node = nodes[parent] < 0 || id == 0 ? -1 : _trie.Child(nodes[parent], id);
            nodes[i] = node;
            int depth = depths[i] = depths[parent] + 1;
            if (node >= 0 && _trie.Traces(node) > 0 && _trie.First(node) < before)
            {
                continue;
            }

            // As in NovelWhenLeftOut: every occurrence of an unseen window of k calls is an unseen
            // k-window; at a thread's start it is also the whole prefix, unseen for every longer k.
            counts[depth] += occurrences;
            for (int k = depth + 1; k <= MaxWindow; k++)
            {
                counts[k] += starts;
            }
        }

        if (at != windows.Length)
        {
            throw new InvalidDataException($"{windows.Length - at} bytes after the stored windows");
        }

        return counts;
    }

    /// <summary>Ends learning (windows get their totals); analysis may run on several threads at once from here.</summary>
    public void Freeze()
    {
        if (_state == State.Frozen)
        {
            return;
        }

        lock (_trie)
        {
            if (_state == State.Frozen)
            {
                return;
            }

            if (_state == State.Learning)
            {
                _trie.Aggregate();
            }

            _trie.Next(0, 1);
            _state = State.Frozen;
        }
    }

    private const byte FormatVersion = 1;

    private static void WriteNumber(List<byte> buffer, uint value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.Add((byte)value);
    }

    private static uint ReadNumber(ReadOnlySpan<byte> bytes, ref int at)
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (at >= bytes.Length)
            {
                throw new InvalidDataException("stored windows end in the middle of a number");
            }

            byte b = bytes[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("stored windows hold a number longer than 5 bytes");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNotLearning() =>
        throw new InvalidOperationException("the model is frozen or loaded: learning must come before any reading");

    /// <summary>
    /// For each call of <paramref name="calls"/>, the longest seen window ending at it
    /// (<paramref name="longest"/>, 0 when the call itself was never seen) and how often the window of
    /// <paramref name="countWindow"/> calls ending at it was seen (<paramref name="counts"/>, 0 when unseen).
    /// </summary>
    public void Analyse(ReadOnlySpan<int> calls, Span<byte> longest, Span<int> counts, int countWindow)
    {
        Freeze();
        var cursor = new WindowCursor();
        for (int i = 0; i < calls.Length; i++)
        {
            longest[i] = (byte)Next(cursor, calls[i], countWindow, out counts[i]);
        }
    }

    /// <summary>
    /// One call of <see cref="Analyse"/>, for a thread read call by call: the longest seen window
    /// ending at <paramref name="call"/>, given the thread's place in <paramref name="cursor"/>, and
    /// how often the window of <paramref name="countWindow"/> calls ending there was seen.
    /// </summary>
    public int Next(WindowCursor cursor, int call, int countWindow, out int count)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        Freeze();
        cursor.Position++;
        count = 0;
        int id = IdOf(call, create: false);
        if (id == 0)
        {
            cursor.Node = 0;
            return 0;
        }

        // The longest seen window ending at this call, less this call, is a seen window ending at
        // the call before, so it is found by extending the previous one: drop its oldest calls until
        // the extension by this call was seen (amortised, two probes per call instead of one per length).
        int node = cursor.Node;
        if (_trie.Depth(node) == MaxWindow)
        {
            node = _trie.Parent(node);
        }

        int next;
        while ((next = _trie.Next(node, id)) < 0 && node != 0)
        {
            node = _trie.Parent(node);
        }

        if (next < 0)
        {
            // Only a model that lost windows could get here: every learnt call is a window.
            cursor.Node = 0;
            return 0;
        }

        cursor.Node = next;
        int depth = _trie.Depth(next);
        if (depth >= countWindow && countWindow > 0)
        {
            int window = next;
            for (int d = depth; d > countWindow; d--)
            {
                window = _trie.Parent(window);
            }

            count = _trie.Count(window);
        }

        return depth;
    }

    /// <summary>The set of learnt calls a trace uses, as a bitset over dense ids, and how many of its distinct calls were never learnt.</summary>
    public (ulong[] Bits, int Unknown) CallSet(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var bits = new ulong[(CallCount >> 6) + 1];
        HashSet<int>? unknown = null;
        foreach (int[] calls in threads)
        {
            foreach (int call in calls)
            {
                int id = IdOf(call, create: false);
                if (id == 0)
                {
                    (unknown ??= []).Add(call);
                }
                else
                {
                    bits[(id - 1) >> 6] |= 1UL << ((id - 1) & 63);
                }
            }
        }

        return (bits, unknown?.Count ?? 0);
    }

    /// <summary>The dense id (1-based) of a learnt call, 0 for a call never learnt.</summary>
    public int IdOfCall(int number) => IdOf(number, create: false);

    /// <summary>The syscall number of a dense id (1-based).</summary>
    public int NumberOf(int id) => id > 0 && id < _numberOfId.Count ? _numberOfId[id] : -1;

    /// <summary>Dense id of a call (1-based); 0 for a call never learnt when not creating.</summary>
    private int IdOf(int number, bool create)
    {
        int id;
        if ((uint)number < DirectNumbers)
        {
            id = _idOfSmall[number];
        }
        else
        {
            id = _idOfLarge.GetValueOrDefault(number);
        }

        if (id != 0 || !create)
        {
            return id;
        }

        if (_numberOfId.Count > MaxIds)
        {
            throw new InvalidOperationException($"the evaluation model holds at most {MaxIds} distinct calls");
        }

        id = _numberOfId.Count;
        _numberOfId.Add(number);
        if ((uint)number < DirectNumbers)
        {
            _idOfSmall[number] = id;
        }
        else
        {
            _idOfLarge[number] = id;
        }

        return id;
    }
}

/// <summary>One learnt window and its totals, calls oldest first: occurrences, thread starts, traces holding it (2: two or more) and the one when one does.</summary>
public delegate void WindowVisitor(ReadOnlySpan<int> calls, int count, int starts, int traces, int owner);

/// <summary>Where a thread being learnt call by call stands in a <see cref="SubstringModel"/>.</summary>
public sealed class WindowCursor
{
    /// <summary>The longest window ending at the thread's last call (0: none yet).</summary>
    internal int Node { get; set; }

    /// <summary>Calls of the thread learnt so far.</summary>
    public long Position { get; internal set; }

    /// <summary>Back to a thread's start.</summary>
    public void Reset()
    {
        Node = 0;
        Position = 0;
    }
}
