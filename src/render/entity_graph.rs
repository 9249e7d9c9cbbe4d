//! The entity graph (#5): entities as nodes, co-mentions and declared
//! relations as weighted edges, laid out at build time and written as an
//! inline `<svg>`, so the reader downloads no script and the browser does no
//! physics: the page costs what its markup costs.
//!
//! This module knows nothing of the site graph. The caller hands it
//! [`Node`]s and [`Edge`]s (indices into the node slice) and gets markup back:
//! the whole graph for the entity index, or with [`neighbourhood`] and
//! [`subgraph`] the local view around one entity for its page.
//!
//! **Size.** The layout is Fruchterman–Reingold with the cut-off repulsion
//! of its grid variant (only pairs closer than `2k` push each other), the
//! pairs found and far clumps summed through a Barnes–Hut quadtree, so one
//! iteration is O(n log n + e) rather than O(n²) (up to sixteen nodes, an
//! entity page's neighbourhood, every pair is summed instead), and it runs a fixed
//! [`ITERATIONS`] with linear cooling: about 20 ms for 150 nodes and 0.4 s
//! for 2,000 (release build, one core). But a picture of 2,000 dots is not
//! readable, and the markup grows with every node and edge. So [`Options::max_nodes`]
//! keeps only the heaviest nodes (by [`Node::weight`], ties by index; the
//! highlighted node always stays) and the edges among them; the default, 150,
//! is meant for the full-site view on the entity index. Of those edges only
//! the [`Options::max_edges`] strongest are drawn (all of them still pull in
//! the layout).
//!
//! **Determinism.** The same input gives byte-identical markup: no hashing,
//! no randomness, ordered maps only, every float written with one decimal.
//! The layout uses only `+ - * /` and `sqrt` (all correctly rounded in IEEE
//! 754), never `sin`, `cos`, `ln` or `powf`, whose last bits vary between
//! platforms' maths libraries, so the output is the same on every machine
//! too, not only from run to run.
//!
//! **Labels** sit under their node, or above, right or left of it when that
//! spot is taken or would leave the view box; a label that fits nowhere
//! without overlapping another label or node is drawn with
//! `visibility="hidden"`, which page CSS may undo on hover and focus (the
//! node's `<title>` still names it as a tooltip and for assistive
//! technology). The highlighted node's label is always shown. Every label
//! stays inside the view box: the width is estimated from the characters
//! (combining marks count for nothing, CJK as one em), labels longer than
//! [`MAX_LABEL_CHARS`] are cut with `…`.
//!
//! **Accessibility.** The `<svg>` is `role="group"` labelled by its
//! `<title>` (and described by `<desc>` if [`Options::description`] is set),
//! not `role="img"`: the children of an `img` are presentational, which would
//! hide the links inside from assistive technology.
//!
//! **Styling.** Everything is drawn with presentation attributes (kind
//! colours from `static/style.css`, `currentColor` for lines and text), so the
//! graph reads well with no CSS at all, and any CSS rule overrides them:
//! `svg.entity-graph`, the line groups `g.edges.relation` (solid) and
//! `g.edges.co-mention` (dashed), `a.node.kind-person` etc., `a.node.current`
//! for the highlighted node.
//!
//! Stage 4 of the pipeline: rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Layout iterations; fixed, so the time is predictable and the output stable.
pub const ITERATIONS: usize = 300;

/// Labels longer than this (in characters) are cut and end with `…`.
pub const MAX_LABEL_CHARS: usize = 32;

/// An entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub label: String,
    /// The entity page; written as `href` as given (escaped for XML).
    pub url: String,
    /// `person`, `organization`, `place`, `product`, `concept`, `event` or
    /// `work`; becomes the class `kind-…` (any other value is reduced to
    /// `[a-z0-9-]`).
    pub kind: String,
    /// Importance, e.g. the number of mentions: sets the radius, the label
    /// size and which nodes survive [`Options::max_nodes`]. Negative or
    /// non-finite counts as 0.
    pub weight: f64,
}

/// A link between two nodes, by index into the node slice. Several edges
/// between the same pair are merged (weights added; a relation if any is).
/// Self-loops and edges to a missing index are ignored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: usize,
    pub b: usize,
    /// Strength, e.g. the number of articles mentioning both. Negative or
    /// non-finite counts as 0.
    pub weight: f64,
    /// A declared relation (drawn solid) rather than a co-mention (dashed).
    pub relation: bool,
}

/// What to draw and how big.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The view box, in user units (and the `width`/`height` attributes).
    /// Less than 100, or not finite, is taken as 100.
    pub width: f64,
    pub height: f64,
    /// Keep at most this many nodes, the heaviest (see the module docs).
    pub max_nodes: usize,
    /// Draw at most this many edges among the kept nodes, the strongest.
    pub max_edges: usize,
    /// Index of the node the page is about: drawn at the centre with the
    /// class `current` and `aria-current="page"`, always kept and labelled.
    pub highlight: Option<usize>,
    /// For `<title>`, which labels the `<svg>`.
    pub title: String,
    /// For `<desc>`; none if empty.
    pub description: String,
    /// Prefix of the ids in the markup (`PREFIX-title`, `PREFIX-desc`): must
    /// differ between graphs on one page. Characters other than ASCII
    /// letters, digits, `-` and `_` become `-` (ids are space-separated
    /// tokens in `aria-labelledby`); empty becomes `entity-graph`.
    pub id_prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 900.0,
            height: 600.0,
            max_nodes: 150,
            max_edges: 450,
            highlight: None,
            title: "Entity graph".to_string(),
            description: String::new(),
            id_prefix: "entity-graph".to_string(),
        }
    }
}

/// The markup with its size and what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphSvg {
    /// One `<svg>` element, to inline in HTML5 (also well-formed XML).
    pub svg: String,
    pub width: f64,
    pub height: f64,
    /// Nodes drawn (at most `max_nodes`).
    pub nodes: usize,
    /// Edges drawn (at most `max_edges`).
    pub edges: usize,
}

/// The graph as one inline `<svg>` element. See [`render`].
pub fn layout_svg(nodes: &[Node], edges: &[Edge], opts: &Options) -> String {
    render(nodes, edges, opts).svg
}

/// The centre followed by its strongest neighbours, at most `max` indices in
/// all (0 gives none). A neighbour's strength is the sum of the weights of
/// its edges with the centre; ties go to the lower index.
pub fn neighbourhood(center: usize, edges: &[Edge], max: usize) -> Vec<usize> {
    if max == 0 {
        return Vec::new();
    }
    let mut strength: BTreeMap<usize, f64> = BTreeMap::new();
    for e in edges {
        let other = match (e.a == center, e.b == center) {
            (true, false) => e.b,
            (false, true) => e.a,
            _ => continue,
        };
        *strength.entry(other).or_insert(0.0) += clean(e.weight);
    }
    let mut by_strength: Vec<(usize, f64)> = strength.into_iter().collect();
    by_strength.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    std::iter::once(center)
        .chain(by_strength.into_iter().map(|(i, _)| i))
        .take(max)
        .collect()
}

/// The nodes at `keep` (in that order; repeats and missing indices dropped)
/// and the edges among them, renumbered: node `keep[i]` becomes `i`. With
/// [`neighbourhood`], the centre becomes 0, ready for
/// `Options { highlight: Some(0), .. }`.
pub fn subgraph(nodes: &[Node], edges: &[Edge], keep: &[usize]) -> (Vec<Node>, Vec<Edge>) {
    let mut new_index = vec![usize::MAX; nodes.len()];
    let mut out_nodes = Vec::with_capacity(keep.len());
    for &k in keep {
        if k < nodes.len() && new_index[k] == usize::MAX {
            new_index[k] = out_nodes.len();
            out_nodes.push(nodes[k].clone());
        }
    }
    let out_edges = edges
        .iter()
        .filter_map(|e| {
            let a = *new_index.get(e.a)?;
            let b = *new_index.get(e.b)?;
            (a != usize::MAX && b != usize::MAX).then_some(Edge { a, b, ..*e })
        })
        .collect();
    (out_nodes, out_edges)
}

/// Lays the graph out and writes it as one inline `<svg>` element.
pub fn render(nodes: &[Node], edges: &[Edge], opts: &Options) -> GraphSvg {
    let width = sane_size(opts.width);
    let height = sane_size(opts.height);
    let highlight = opts.highlight.filter(|&h| h < nodes.len());

    // Which nodes, as indices into `nodes`, ascending; `local[i]` is the
    // position of node i among them.
    let kept = select(nodes, opts.max_nodes, highlight);
    let n = kept.len();
    let mut local = vec![usize::MAX; nodes.len()];
    for (li, &i) in kept.iter().enumerate() {
        local[i] = li;
    }
    let pinned = highlight.map(|h| local[h]).filter(|&l| l != usize::MAX);
    let pairs = merge_edges(edges, &local);
    let max_edge_w = pairs.iter().map(|p| p.w).fold(0.0, f64::max);
    let edge_strength = |w: f64| if max_edge_w > 0.0 { (w / max_edge_w).sqrt() } else { 1.0 };
    let sizes = Sizes::of(nodes, &kept, pinned, width, height);

    // Layout in a frame centred on 0 with the view box's aspect, then fitted
    // into the view box less a margin for the largest circle.
    let margin = sizes.r_max + 4.0;
    let (fw, fh) = ((width / 2.0 - margin).max(1.0), (height / 2.0 - margin).max(1.0));
    let springs: Vec<(usize, usize, f64)> = pairs
        .iter()
        .map(|p| (p.a, p.b, 0.3 + 0.7 * edge_strength(p.w)))
        .collect();
    let raw = force_layout(n, &sizes.rank, &springs, pinned, fw, fh);
    let pos = fit(&raw, pinned, width, height, margin);
    let labels = place_labels(
        nodes,
        &kept,
        &pos,
        &sizes.radius,
        &sizes.font,
        &sizes.rank,
        pinned,
        width,
        height,
    );

    // Drawn edges: the strongest `max_edges`, then weakest first so strong
    // ones lie on top.
    let mut drawn: Vec<&Pair> = pairs.iter().collect();
    drawn.sort_by(|x, y| y.w.total_cmp(&x.w).then((x.a, x.b).cmp(&(y.a, y.b))));
    drawn.truncate(opts.max_edges);
    drawn.sort_by(|x, y| x.w.total_cmp(&y.w).then((x.a, x.b).cmp(&(y.a, y.b))));

    let mut svg = String::with_capacity(512 + 160 * drawn.len() + 260 * n);
    open_svg(&mut svg, opts, width, height);
    draw_edges(&mut svg, &drawn, &pos, &edge_strength);
    let placed = Placed {
        nodes,
        kept: &kept,
        pos: &pos,
        labels: &labels,
        sizes: &sizes,
        pinned,
    };
    draw_nodes(&mut svg, &placed);
    svg.push_str("</svg>");
    GraphSvg {
        svg,
        width,
        height,
        nodes: n,
        edges: drawn.len(),
    }
}

/// The edges among the kept nodes (`local`: a node's position among them,
/// `usize::MAX` if not kept), merged per pair, in pair order.
fn merge_edges(edges: &[Edge], local: &[usize]) -> Vec<Pair> {
    let mut merged: BTreeMap<(usize, usize), (f64, bool)> = BTreeMap::new();
    for e in edges {
        let (Some(&a), Some(&b)) = (local.get(e.a), local.get(e.b)) else {
            continue;
        };
        if a == usize::MAX || b == usize::MAX || a == b {
            continue;
        }
        let entry = merged.entry((a.min(b), a.max(b))).or_insert((0.0, false));
        entry.0 += clean(e.weight);
        entry.1 |= e.relation;
    }
    merged
        .into_iter()
        .map(|((a, b), (w, relation))| Pair { a, b, w, relation })
        .collect()
}

/// The kept nodes' sizes and drawing order.
struct Sizes {
    /// Heaviest first (the highlighted node before all): the spiral order
    /// of the initial layout, and the order in which labels claim their
    /// place.
    rank: Vec<usize>,
    radius: Vec<f64>,
    font: Vec<f64>,
    r_max: f64,
}

impl Sizes {
    fn of(nodes: &[Node], kept: &[usize], pinned: Option<usize>, width: f64, height: f64) -> Sizes {
        let n = kept.len();
        let weights: Vec<f64> = kept.iter().map(|&i| clean(nodes[i].weight)).collect();
        let max_node_w = weights.iter().copied().fold(0.0, f64::max);
        let strength: Vec<f64> = weights
            .iter()
            .map(|&w| if max_node_w > 0.0 { (w / max_node_w).sqrt() } else { 0.5 })
            .collect();
        let mut rank: Vec<usize> = (0..n).collect();
        rank.sort_by(|&x, &y| {
            (Some(y) == pinned)
                .cmp(&(Some(x) == pinned))
                .then(weights[y].total_cmp(&weights[x]))
                .then(x.cmp(&y))
        });
        // Sizes scale down when the view is crowded.
        let spacing = if n > 0 {
            (width * height / n as f64).sqrt()
        } else {
            width
        };
        let r_max = (spacing * 0.5).clamp(5.0, 14.0);
        let r_min = (r_max / 3.0).min(4.0);
        let radius = (0..n)
            .map(|i| {
                let r = r_min + (r_max - r_min) * strength[i];
                if Some(i) == pinned { r.max(r_max * 0.8) } else { r }
            })
            .collect();
        let font = (0..n)
            .map(|i| {
                let f = 11.0 + 3.0 * strength[i];
                if Some(i) == pinned { 15.0 } else { f }
            })
            .collect();
        Sizes {
            rank,
            radius,
            font,
            r_max,
        }
    }
}

/// The opening `<svg>` with its accessible name and description.
fn open_svg(svg: &mut String, opts: &Options, width: f64, height: f64) {
    let id = id_token(&opts.id_prefix);
    let described = !opts.description.is_empty();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"entity-graph\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
         height=\"{h}\" role=\"group\" aria-labelledby=\"{id}-title\"{desc_ref}>\n<title id=\"{id}-title\">{title}</title>\n",
        w = num(width),
        h = num(height),
        desc_ref = if described {
            format!(" aria-describedby=\"{id}-desc\"")
        } else {
            String::new()
        },
        title = escape(&opts.title),
    );
    if described {
        let _ = writeln!(svg, "<desc id=\"{id}-desc\">{}</desc>", escape(&opts.description));
    }
}

fn draw_edges(svg: &mut String, drawn: &[&Pair], pos: &[(f64, f64)], strength: &dyn Fn(f64) -> f64) {
    // One group per kind of edge, carrying what its lines share (a line
    // carries only its ends and width: a tenth of an entity page's bytes).
    let groups = [
        (true, "edges relation", ""),
        (false, "edges co-mention", " stroke-dasharray=\"4 3\""),
    ];
    for (relation, class, dash) in groups {
        let mut lines = drawn.iter().filter(|p| p.relation == relation).peekable();
        if lines.peek().is_none() {
            continue;
        }
        let _ = writeln!(
            svg,
            "<g class=\"{class}\" stroke=\"currentColor\" stroke-opacity=\"0.45\" stroke-linecap=\"round\"{dash}>"
        );
        for p in lines {
            let _ = writeln!(
                svg,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke-width=\"{}\"/>",
                num(pos[p.a].0),
                num(pos[p.a].1),
                num(pos[p.b].0),
                num(pos[p.b].1),
                num(0.6 + 2.4 * strength(p.w)),
            );
        }
        svg.push_str("</g>\n");
    }
}

/// The kept nodes as laid out and labelled.
struct Placed<'a> {
    nodes: &'a [Node],
    kept: &'a [usize],
    pos: &'a [(f64, f64)],
    labels: &'a [Label],
    sizes: &'a Sizes,
    pinned: Option<usize>,
}

/// The nodes, lightest first, so heavy nodes and their labels lie on top;
/// the highlighted node last of all.
fn draw_nodes(svg: &mut String, p: &Placed<'_>) {
    if p.kept.is_empty() {
        return;
    }
    // (labels are centred and drawn in the text colour unless they say otherwise)
    svg.push_str("<g class=\"nodes\" text-anchor=\"middle\" fill=\"currentColor\">\n");
    for &li in p.sizes.rank.iter().rev() {
        let node = &p.nodes[p.kept[li]];
        let current = Some(li) == p.pinned;
        let kind = kind_class(&node.kind);
        let (x, y) = p.pos[li];
        let label = &p.labels[li];
        let _ = writeln!(
            svg,
            "<a class=\"node kind-{kind}{cur}\" href=\"{href}\"{aria}><title>{full}</title>\
             <circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"{fill}\"{ring}/>\
             <text x=\"{tx}\" y=\"{ty}\"{anchor} font-size=\"{fs}\"{bold}{hidden}>{text}</text></a>",
            cur = if current { " current" } else { "" },
            href = escape(&node.url),
            aria = if current { " aria-current=\"page\"" } else { "" },
            full = escape(&node.label),
            cx = num(x),
            cy = num(y),
            r = num(p.sizes.radius[li]),
            fill = kind_colour(&kind),
            ring = if current {
                " stroke=\"currentColor\" stroke-width=\"2.5\""
            } else {
                ""
            },
            tx = num(label.x),
            ty = num(label.y),
            anchor = match label.anchor {
                Anchor::Middle => "",
                Anchor::Start => " text-anchor=\"start\"",
                Anchor::End => " text-anchor=\"end\"",
            },
            fs = num(p.sizes.font[li]),
            bold = if current { " font-weight=\"bold\"" } else { "" },
            hidden = if label.hidden { " visibility=\"hidden\"" } else { "" },
            text = escape(&label.text),
        );
    }
    svg.push_str("</g>\n");
}

/// A merged edge between kept nodes (local indices, `a < b`).
struct Pair {
    a: usize,
    b: usize,
    w: f64,
    relation: bool,
}

fn clean(w: f64) -> f64 {
    if w.is_finite() && w > 0.0 { w } else { 0.0 }
}

fn sane_size(v: f64) -> f64 {
    if v.is_finite() { v.max(100.0) } else { 100.0 }
}

/// The kept nodes, ascending: all of them, or the `max` heaviest (ties by
/// index) with the highlighted one always among them.
fn select(nodes: &[Node], max: usize, highlight: Option<usize>) -> Vec<usize> {
    if nodes.len() <= max {
        return (0..nodes.len()).collect();
    }
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by(|&x, &y| {
        clean(nodes[y].weight)
            .total_cmp(&clean(nodes[x].weight))
            .then(x.cmp(&y))
    });
    let mut kept: Vec<usize> = highlight.filter(|_| max > 0).into_iter().collect();
    kept.extend(
        order
            .into_iter()
            .filter(|&i| Some(i) != highlight)
            .take(max - kept.len()),
    );
    kept.sort_unstable();
    kept
}

/// Fruchterman–Reingold in the frame `[-fw, fw] × [-fh, fh]`: repulsion
/// `k²/d` between nodes closer than [`CUTOFF`]`·k`, summed by Barnes–Hut
/// ([`QuadTree`]) or, up to [`DIRECT`] nodes, pair by pair; attraction `s·d²/k` along each spring of strength `s`; a
/// weak pull to the centre, stronger along the frame's short side, that keeps
/// loose components in; moves capped by a temperature that cools linearly to
/// nothing over [`ITERATIONS`], positions clamped to the frame. Starts from
/// a sunflower spiral in `rank` order, so heavy nodes start central.
/// `pinned` stays at the centre. [`fit`] then scales it into the view box.
fn force_layout(
    n: usize,
    rank: &[usize],
    springs: &[(usize, usize, f64)],
    pinned: Option<usize>,
    fw: f64,
    fh: f64,
) -> Vec<(f64, f64)> {
    let mut pos = vec![(0.0, 0.0); n];
    if n < 2 {
        return pos;
    }
    // Sunflower: rank r at radius ∝ √r, turning by the golden angle, with
    // the rotation done by multiplying with its (rounded) cosine and sine
    // instead of calling cos/sin.
    const GOLDEN_COS: f64 = -0.737_368_878_078_319_7;
    const GOLDEN_SIN: f64 = 0.675_490_294_261_523_9;
    let (mut c, mut s) = (1.0_f64, 0.0_f64);
    for (r, &i) in rank.iter().enumerate() {
        let rho = 0.7 * ((r as f64 + 0.5) / n as f64).sqrt();
        pos[i] = (rho * c * fw, rho * s * fh);
        (c, s) = (c * GOLDEN_COS - s * GOLDEN_SIN, c * GOLDEN_SIN + s * GOLDEN_COS);
    }
    if let Some(p) = pinned {
        pos[p] = (0.0, 0.0);
    }

    let k = (4.0 * fw * fh / n as f64).sqrt() * 0.75;
    let k2 = k * k;
    let long = fw.max(fh);
    // Pull to the centre: `GRAVITY·k` at the ends of the frame's long axis,
    // proportionally more at the ends of the short one.
    let (gx, gy) = (GRAVITY * k * long / (fw * fw), GRAVITY * k * long / (fh * fh));
    let cut2 = (CUTOFF * k) * (CUTOFF * k);
    let t0 = 0.1 * 2.0 * long;
    let mut disp = vec![(0.0_f64, 0.0_f64); n];
    let mut tree = QuadTree::default();

    // A neighbourhood of a dozen nodes settles long before 300 rounds.
    let iterations = if n <= 40 { ITERATIONS / 3 } else { ITERATIONS };
    for it in 0..iterations {
        let t = t0 * (1.0 - it as f64 / iterations as f64);
        if n > DIRECT {
            tree.build(&pos);
            for (i, d) in disp.iter_mut().enumerate() {
                *d = tree.repulsion(i, &pos, k2, cut2);
            }
        } else {
            disp.fill((0.0, 0.0));
            // Each pair once, the push on one the other's reversed (but for a coincident pair,
            // which `push` parts by its own rule).
            for i in 0..n {
                for j in i + 1..n {
                    let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                    let d2 = dx * dx + dy * dy;
                    let ((px, py), (qx, qy)) = match d2 {
                        _ if d2 >= cut2 => continue,
                        _ if d2 < 1e-6 => (push(i, j, &pos, k2, cut2), push(j, i, &pos, k2, cut2)),
                        _ => {
                            let f = k2 / d2;
                            ((dx * f, dy * f), (-dx * f, -dy * f))
                        }
                    };
                    disp[i].0 += px;
                    disp[i].1 += py;
                    disp[j].0 += qx;
                    disp[j].1 += qy;
                }
            }
        }
        for (d, &(x, y)) in disp.iter_mut().zip(&pos) {
            *d = (d.0 - gx * x, d.1 - gy * y);
        }
        for &(a, b, s) in springs {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt();
            // (dx/d)·(s·d²/k) = dx·s·d/k
            let f = s * d / k;
            disp[a].0 -= dx * f;
            disp[a].1 -= dy * f;
            disp[b].0 += dx * f;
            disp[b].1 += dy * f;
        }
        for (i, p) in pos.iter_mut().enumerate() {
            if Some(i) == pinned {
                continue;
            }
            let (dx, dy) = disp[i];
            let len = (dx * dx + dy * dy).sqrt();
            if len > 0.0 {
                let step = len.min(t) / len;
                p.0 = (p.0 + dx * step).clamp(-fw, fw);
                p.1 = (p.1 + dy * step).clamp(-fh, fh);
            }
        }
    }
    pos
}

/// Up to this many nodes (an entity page's neighbourhood is twelve) every pair's repulsion is
/// summed as it is: cheaper than building a quadtree a round for so few (an entity page's
/// layout took 2% of a cold build's CPU at 10,000 articles, the tree most of it).
const DIRECT: usize = 2 * LEAF;

/// The repulsion `k²/d` on body `i` from body `j` (none from itself or from beyond `√cut2`).
#[inline(always)]
fn push(i: usize, j: usize, pos: &[(f64, f64)], k2: f64, cut2: f64) -> (f64, f64) {
    if j == i {
        return (0.0, 0.0);
    }
    let (x, y) = pos[i];
    let (mut dx, mut dy) = (x - pos[j].0, y - pos[j].1);
    let mut d2 = dx * dx + dy * dy;
    if d2 >= cut2 {
        return (0.0, 0.0);
    }
    if d2 < 1e-6 {
        // Coincident: part them along a direction fixed by the pair.
        dx = if i < j { 0.01 } else { -0.01 };
        dy = if (i + j).is_multiple_of(2) { 0.01 } else { -0.01 };
        d2 = dx * dx + dy * dy;
    }
    // (dx/d)·(k²/d) = dx·k²/d²
    (dx * k2 / d2, dy * k2 / d2)
}

/// Strength of the pull to the centre, in `k` at the frame's edge.
const GRAVITY: f64 = 0.3;
/// Nodes further apart than `CUTOFF·k` do not repel (as in the grid variant
/// of Fruchterman–Reingold): without it a small loose component is pushed
/// to the far edge and the fitted picture shrinks the rest.
const CUTOFF: f64 = 2.0;
/// Barnes–Hut opening angle: a cell of side `s` at distance `d` counts as
/// one body at its centre of mass when `s/d < THETA`.
const THETA: f64 = 1.2;
/// A cell with this many bodies or fewer is not split.
const LEAF: usize = 8;

/// A quadtree over the positions, rebuilt each iteration into the same
/// buffers. Cells are split in a fixed order and bodies kept in index order
/// within a leaf, so the sums come out the same every run.
#[derive(Default)]
struct QuadTree {
    cells: Vec<Cell>,
    /// Body indices, grouped so that each leaf's are contiguous.
    bodies: Vec<usize>,
    scratch: Vec<usize>,
    stack: Vec<usize>,
}

struct Cell {
    x0: f64,
    y0: f64,
    size: f64,
    mass: f64,
    /// Centre of mass.
    cx: f64,
    cy: f64,
    /// Index of the first of four children, or 0 for a leaf.
    children: usize,
    /// The leaf's bodies: `bodies[start..end]`.
    start: usize,
    end: usize,
}

impl QuadTree {
    fn build(&mut self, pos: &[(f64, f64)]) {
        self.cells.clear();
        self.bodies.clear();
        self.bodies.extend(0..pos.len());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in pos {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        let size = (x1 - x0).max(y1 - y0).max(1e-6) * (1.0 + 1e-9);
        self.cells.push(Cell {
            x0,
            y0,
            size,
            mass: 0.0,
            cx: 0.0,
            cy: 0.0,
            children: 0,
            start: 0,
            end: pos.len(),
        });
        self.split(0, pos, 0);
    }

    fn split(&mut self, cell: usize, pos: &[(f64, f64)], depth: usize) {
        let Cell {
            x0,
            y0,
            size,
            start,
            end,
            ..
        } = self.cells[cell];
        let (mut mass, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for &b in &self.bodies[start..end] {
            mass += 1.0;
            sx += pos[b].0;
            sy += pos[b].1;
        }
        if mass > 0.0 {
            self.cells[cell].mass = mass;
            self.cells[cell].cx = sx / mass;
            self.cells[cell].cy = sy / mass;
        }
        // Deep enough: the rest are (nearly) in one spot.
        if end - start <= LEAF || depth >= 24 {
            return;
        }
        let half = size / 2.0;
        let quadrant = |b: usize| usize::from(pos[b].0 >= x0 + half) + 2 * usize::from(pos[b].1 >= y0 + half);
        // Stable partition of the range by quadrant.
        self.scratch.clear();
        let mut bounds = [start; 5];
        for (q, bound) in bounds.iter_mut().take(4).enumerate() {
            *bound = start + self.scratch.len();
            self.scratch
                .extend(self.bodies[start..end].iter().copied().filter(|&b| quadrant(b) == q));
        }
        bounds[4] = end;
        self.bodies[start..end].copy_from_slice(&self.scratch);
        let first = self.cells.len();
        self.cells[cell].children = first;
        for q in 0..4 {
            let (qx, qy) = (x0 + half * (q % 2) as f64, y0 + half * (q / 2) as f64);
            let (s, e) = (bounds[q], bounds[q + 1]);
            self.cells.push(Cell {
                x0: qx,
                y0: qy,
                size: half,
                mass: 0.0,
                cx: 0.0,
                cy: 0.0,
                children: 0,
                start: s,
                end: e,
            });
        }
        for q in 0..4 {
            if bounds[q + 1] > bounds[q] {
                self.split(first + q, pos, depth + 1);
            }
        }
    }

    /// The repulsion `k²/d` on body `i` from all others closer than
    /// `√cut2`, summed as a vector. Cells beyond the cutoff are skipped
    /// whole, so a dense clump costs O(log n) per body, not O(clump).
    fn repulsion(&mut self, i: usize, pos: &[(f64, f64)], k2: f64, cut2: f64) -> (f64, f64) {
        let (x, y) = pos[i];
        let (mut fx, mut fy) = (0.0, 0.0);
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        stack.push(0);
        while let Some(c) = stack.pop() {
            let cell = &self.cells[c];
            let ox = (cell.x0 - x).max(x - (cell.x0 + cell.size)).max(0.0);
            let oy = (cell.y0 - y).max(y - (cell.y0 + cell.size)).max(0.0);
            if ox * ox + oy * oy >= cut2 {
                continue;
            }
            if cell.children == 0 {
                for &j in &self.bodies[cell.start..cell.end] {
                    let (px, py) = push(i, j, pos, k2, cut2);
                    fx += px;
                    fy += py;
                }
                continue;
            }
            let (dx, dy) = (x - cell.cx, y - cell.cy);
            let d2 = dx * dx + dy * dy;
            let inside = x >= cell.x0 && x <= cell.x0 + cell.size && y >= cell.y0 && y <= cell.y0 + cell.size;
            if !inside && cell.size * cell.size < THETA * THETA * d2 {
                if d2 >= cut2 {
                    continue;
                }
                fx += dx * cell.mass * k2 / d2;
                fy += dy * cell.mass * k2 / d2;
            } else {
                let first = cell.children;
                stack.extend((first..first + 4).rev().filter(|&q| self.cells[q].mass > 0.0));
            }
        }
        self.stack = stack;
        (fx, fy)
    }
}

/// Scales the layout uniformly into the view box less `margin` on each side
/// and centres it; a single node (or all nodes in one spot) goes to the
/// centre. With a pinned node, the scale keeps it at the centre.
fn fit(raw: &[(f64, f64)], pinned: Option<usize>, width: f64, height: f64, margin: f64) -> Vec<(f64, f64)> {
    let (half_w, half_h) = ((width / 2.0 - margin).max(0.0), (height / 2.0 - margin).max(0.0));
    let (cx, cy) = (width / 2.0, height / 2.0);
    if raw.is_empty() {
        return Vec::new();
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in raw {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    // About the pinned node (at 0,0) the extent is the larger of the two
    // sides; otherwise about the middle of the bounding box.
    let (mx, my, ex, ey) = match pinned {
        Some(_) => (0.0, 0.0, x1.max(-x0), y1.max(-y0)),
        None => ((x0 + x1) / 2.0, (y0 + y1) / 2.0, (x1 - x0) / 2.0, (y1 - y0) / 2.0),
    };
    let sx = if ex > 1e-9 { half_w / ex } else { f64::INFINITY };
    let sy = if ey > 1e-9 { half_h / ey } else { f64::INFINITY };
    let s = sx.min(sy);
    let s = if s.is_finite() { s } else { 0.0 };
    raw.iter()
        .map(|&(x, y)| {
            let px = (cx + (x - mx) * s).clamp(margin.min(cx), width - margin.min(cx));
            let py = (cy + (y - my) * s).clamp(margin.min(cy), height - margin.min(cy));
            (px, py)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// A label as drawn: the anchor point of its baseline, and its box.
#[derive(Debug, Clone)]
struct Label {
    text: String,
    x: f64,
    y: f64,
    anchor: Anchor,
    hidden: bool,
}

type Rect = (f64, f64, f64, f64);

/// Ascent and descent as fractions of the font size, generous for
/// Vietnamese capitals with stacked marks (Ấ, Ễ) and for descenders.
const ASCENT: f64 = 1.05;
const DESCENT: f64 = 0.3;
/// Space kept between a label and the view box's edge.
const EDGE_PAD: f64 = 2.0;

/// Places each label, heaviest node first, at the first of below, above,
/// right and left of its node that stays in the view box and overlaps no
/// label placed before nor any other node; else hidden (at the first spot in
/// the view box), except for the highlighted node's, which then shows
/// anyway. O(n²) in the nodes kept, which `max_nodes` bounds.
#[allow(clippy::too_many_arguments)]
fn place_labels(
    nodes: &[Node],
    kept: &[usize],
    pos: &[(f64, f64)],
    radius: &[f64],
    font: &[f64],
    rank: &[usize],
    pinned: Option<usize>,
    width: f64,
    height: f64,
) -> Vec<Label> {
    let n = kept.len();
    let mut labels: Vec<Option<Label>> = vec![None; n];
    let mut taken: Vec<Rect> = Vec::with_capacity(n);
    let circles: Vec<Rect> = (0..n)
        .map(|i| {
            (
                pos[i].0 - radius[i],
                pos[i].1 - radius[i],
                pos[i].0 + radius[i],
                pos[i].1 + radius[i],
            )
        })
        .collect();
    for &i in rank {
        let fs = font[i];
        let avail = width - 2.0 * EDGE_PAD;
        let text = fit_label(&nodes[kept[i]].label, fs, avail);
        let w = text_width(&text, fs);
        let (x, y, r) = (pos[i].0, pos[i].1, radius[i]);
        let (asc, desc) = (ASCENT * fs, DESCENT * fs);
        let clamp_x = |cx: f64| cx.clamp(EDGE_PAD + w / 2.0, (width - EDGE_PAD - w / 2.0).max(EDGE_PAD + w / 2.0));
        let mid_y = y + (asc - desc) / 2.0;
        let candidates = [
            (clamp_x(x), y + r + 1.0 + asc, Anchor::Middle),
            (clamp_x(x), y - r - 1.0 - desc, Anchor::Middle),
            (x + r + 3.0, mid_y, Anchor::Start),
            (x - r - 3.0, mid_y, Anchor::End),
        ];
        let rect_of = |(lx, ly, anchor): (f64, f64, Anchor)| -> Rect {
            let left = match anchor {
                Anchor::Start => lx,
                Anchor::Middle => lx - w / 2.0,
                Anchor::End => lx - w,
            };
            (left, ly - asc, left + w, ly + desc)
        };
        let inside = |rc: &Rect| {
            rc.0 >= EDGE_PAD - 1e-9
                && rc.1 >= EDGE_PAD - 1e-9
                && rc.2 <= width - EDGE_PAD + 1e-9
                && rc.3 <= height - EDGE_PAD + 1e-9
        };
        let free = |rc: &Rect| {
            !taken.iter().any(|t| overlaps(rc, t, 1.0))
                && !circles.iter().enumerate().any(|(j, c)| j != i && overlaps(rc, c, 0.0))
        };
        let fitting = candidates.iter().copied().find(|&c| {
            let rc = rect_of(c);
            inside(&rc) && free(&rc)
        });
        let (chosen, hidden) = match fitting {
            Some(c) => (c, false),
            None => {
                let c = candidates
                    .iter()
                    .copied()
                    .find(|&c| inside(&rect_of(c)))
                    .unwrap_or_else(|| {
                        // Nothing in the box (a view too small for the font):
                        // below, pushed up to the bottom edge.
                        let (lx, _, a) = candidates[0];
                        (lx, (height - EDGE_PAD - desc).max(asc + EDGE_PAD), a)
                    });
                (c, Some(i) != pinned)
            }
        };
        if !hidden {
            taken.push(rect_of(chosen));
        }
        labels[i] = Some(Label {
            text,
            x: chosen.0,
            y: chosen.1,
            anchor: chosen.2,
            hidden,
        });
    }
    labels
        .into_iter()
        .map(|l| l.expect("every kept node is ranked"))
        .collect()
}

fn overlaps(a: &Rect, b: &Rect, gap: f64) -> bool {
    a.0 < b.2 + gap && b.0 < a.2 + gap && a.1 < b.3 + gap && b.1 < a.3 + gap
}

/// The label cut to [`MAX_LABEL_CHARS`] and to `avail` user units, with `…`.
fn fit_label(label: &str, fs: f64, avail: f64) -> String {
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars: Vec<char> = label.chars().collect();
    if chars.len() <= MAX_LABEL_CHARS && text_width(&label, fs) <= avail {
        return label;
    }
    chars.truncate(MAX_LABEL_CHARS - 1);
    loop {
        while chars.last().is_some_and(|c| c.is_whitespace() || is_combining(*c)) {
            chars.pop();
        }
        let mut s: String = chars.iter().collect();
        s.push('…');
        if chars.is_empty() || text_width(&s, fs) <= avail {
            return s;
        }
        chars.pop();
    }
}

/// Estimated advance of `s` in a sans-serif face at `fs`, on the generous
/// side so the estimate errs towards staying inside the view box.
fn text_width(s: &str, fs: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            _ if is_combining(c) => 0.0,
            ' ' => 0.3,
            'i' | 'l' | 'j' | 'I' | '.' | ',' | '\'' | '|' | ':' | ';' | '!' => 0.3,
            'f' | 't' | 'r' | '(' | ')' | '-' => 0.4,
            'm' | 'w' | 'M' | 'W' | '—' => 0.9,
            'A'..='Z' | 'À'..='Ý' | 'Đ' | 'Ơ' | 'Ư' => 0.7,
            '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF00}'..='\u{FF60}' => 1.0,
            _ => 0.58,
        })
        .sum();
    em * fs
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// `kind` as a class-name token: lower-case ASCII letters, digits and `-`.
fn kind_class(kind: &str) -> String {
    let token: String = kind
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if token.is_empty() { "other".to_string() } else { token }
}

/// `prefix` as an id token: ASCII letters, digits, `-` and `_`.
fn id_token(prefix: &str) -> String {
    let token: String = prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    if token.is_empty() {
        "entity-graph".to_string()
    } else {
        token
    }
}

/// The entity-chip colours of `static/style.css` (`[data-kind]`), as the
/// fallback fill; CSS overrides it.
fn kind_colour(kind: &str) -> &'static str {
    match kind {
        "person" => "#b5543a",
        "organization" => "#2f6fa6",
        "place" => "#3d8b55",
        "product" => "#8c5bb0",
        "concept" => "#b08a1e",
        "event" => "#c0396b",
        "work" => "#4f7f80",
        _ => "#8a867d",
    }
}

/// One decimal (rounded half away from zero), none when it is 0 (`12`, not
/// `12.0`), never `-0`. Written by hand: float formatting was a tenth of an
/// entity page's time.
fn num(v: f64) -> String {
    let tenths = if v.is_finite() { (v * 10.0).round() as i64 } else { 0 };
    let (sign, t) = if tenths < 0 { ("-", -tenths) } else { ("", tenths) };
    match t % 10 {
        0 => format!("{sign}{}", t / 10),
        d => format!("{sign}{}.{d}", t / 10),
    }
}

/// Escapes text and attribute values for XML and HTML alike.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0 at all: dropped rather than written.
            '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [&str; 7] = ["person", "organization", "place", "product", "concept", "event", "work"];

    /// A deterministic sample: `n` nodes with falling weights, each linked
    /// to a few earlier ones (a small LCG picks which), some as relations.
    fn sample(n: usize) -> (Vec<Node>, Vec<Edge>) {
        let nodes = (0..n)
            .map(|i| Node {
                label: format!("Entity {i}"),
                url: format!("/entities/e-{i}/"),
                kind: KINDS[i % KINDS.len()].to_string(),
                weight: (1 + (n - i) * 3 % 97) as f64,
            })
            .collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |m: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as usize) % m
        };
        let mut edges = Vec::new();
        for i in 1..n {
            for _ in 0..1 + next(3) {
                let j = next(i);
                edges.push(Edge {
                    a: i,
                    b: j,
                    weight: (1 + next(9)) as f64,
                    relation: next(4) == 0,
                });
            }
        }
        (nodes, edges)
    }

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).expect("the SVG is well-formed XML")
    }

    fn f(node: roxmltree::Node, attr: &str) -> f64 {
        node.attribute(attr)
            .unwrap_or_else(|| panic!("{attr} missing"))
            .parse()
            .unwrap()
    }

    fn assert_inside(svg: &str, width: f64, height: f64) {
        let doc = parse(svg);
        assert_eq!(
            doc.root_element().attribute("viewBox"),
            Some(format!("0 0 {} {}", num(width), num(height)).as_str())
        );
        for el in doc.descendants().filter(|e| e.is_element()) {
            match el.tag_name().name() {
                "circle" => {
                    let (x, y, r) = (f(el, "cx"), f(el, "cy"), f(el, "r"));
                    assert!(
                        x - r >= 0.0 && x + r <= width && y - r >= 0.0 && y + r <= height,
                        "circle out: {x} {y} {r}"
                    );
                }
                "line" => {
                    for (a, b) in [("x1", "y1"), ("x2", "y2")] {
                        let (x, y) = (f(el, a), f(el, b));
                        assert!(
                            (0.0..=width).contains(&x) && (0.0..=height).contains(&y),
                            "line out: {x} {y}"
                        );
                    }
                }
                "text" => {
                    let (x, y, fs) = (f(el, "x"), f(el, "y"), f(el, "font-size"));
                    let w = text_width(el.text().unwrap_or(""), fs);
                    // (the anchor is the label's own or its group's)
                    let anchor = el.ancestors().find_map(|a| a.attribute("text-anchor"));
                    let left = match anchor {
                        Some("middle") => x - w / 2.0,
                        Some("end") => x - w,
                        _ => x,
                    };
                    // One decimal of rounding either way.
                    assert!(
                        left >= -0.1 && left + w <= width + 0.1,
                        "label out sideways: {:?}",
                        el.text()
                    );
                    assert!(
                        y - ASCENT * fs >= -0.1 && y + DESCENT * fs <= height + 0.1,
                        "label out: {:?}",
                        el.text()
                    );
                }
                _ => {}
            }
        }
    }

    #[test]
    fn same_input_same_bytes() {
        let (nodes, edges) = sample(120);
        let opts = Options::default();
        let one = layout_svg(&nodes, &edges, &opts);
        let two = layout_svg(&nodes, &edges, &opts);
        assert_eq!(one, two);
        let highlighted = Options {
            highlight: Some(7),
            ..Options::default()
        };
        assert_eq!(
            layout_svg(&nodes, &edges, &highlighted),
            layout_svg(&nodes, &edges, &highlighted)
        );
        // Floats with one decimal only.
        let doc = parse(&one);
        let circle = doc.descendants().find(|e| e.has_tag_name("circle")).unwrap();
        let cx = circle.attribute("cx").unwrap();
        assert_eq!(cx.split('.').nth(1).map(str::len), Some(1), "{cx}");
    }

    #[test]
    fn every_node_links_to_its_page() {
        let (nodes, edges) = sample(40);
        let out = render(&nodes, &edges, &Options::default());
        assert_eq!(out.nodes, 40);
        let doc = parse(&out.svg);
        let hrefs: Vec<&str> = doc
            .descendants()
            .filter(|e| e.has_tag_name("a"))
            .filter_map(|a| a.attribute("href"))
            .collect();
        assert_eq!(hrefs.len(), 40);
        for n in &nodes {
            assert!(hrefs.contains(&n.url.as_str()), "{} missing", n.url);
        }
        // HTML5 wants plain href, and XML well-formedness wants no other namespace.
        assert!(!out.svg.contains("xlink"));
        for a in doc.descendants().filter(|e| e.has_tag_name("a")) {
            let kids: Vec<&str> = a
                .children()
                .filter(|c| c.is_element())
                .map(|c| c.tag_name().name())
                .collect();
            assert_eq!(kids, ["title", "circle", "text"]);
            let class = a.attribute("class").unwrap();
            assert!(class.starts_with("node kind-"), "{class}");
        }
    }

    #[test]
    fn labels_urls_and_title_are_escaped() {
        let nasty = "<script>&\"'";
        let nodes = vec![
            Node {
                label: nasty.into(),
                url: "/e/?a=1&b=\"2\"<x>'".into(),
                kind: "person\" onclick=\"x".into(),
                weight: 3.0,
            },
            Node {
                label: "Bắc Kinh".into(),
                url: "/e/bac-kinh/".into(),
                kind: "place".into(),
                weight: 1.0,
            },
        ];
        let edges = [Edge {
            a: 0,
            b: 1,
            weight: 1.0,
            relation: true,
        }];
        let opts = Options {
            title: "<b>&'\"".into(),
            description: "a < b".into(),
            id_prefix: "g\"1 x".into(),
            ..Options::default()
        };
        let svg = layout_svg(&nodes, &edges, &opts);
        assert!(!svg.contains("<script>") && !svg.contains("<b>") && !svg.contains("<x>"));
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&#39;"));
        let doc = parse(&svg);
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|e| e.has_tag_name("text"))
            .filter_map(|e| e.text())
            .collect();
        assert!(texts.contains(&nasty), "{texts:?}");
        assert!(texts.contains(&"Bắc Kinh"));
        let a = doc.descendants().rfind(|e| e.has_tag_name("a")).unwrap(); // heaviest on top
        assert_eq!(a.attribute("href"), Some("/e/?a=1&b=\"2\"<x>'"));
        assert_eq!(a.attribute("class"), Some("node kind-person--onclick--x"));
        assert_eq!(a.attribute("onclick"), None);
        let root = doc.root_element();
        assert_eq!(root.attribute("aria-labelledby"), Some("g-1-x-title"));
        let title = root.children().find(|e| e.has_tag_name("title")).unwrap();
        assert_eq!(title.text(), Some("<b>&'\""));
        assert_eq!(title.attribute("id"), Some("g-1-x-title"));
        assert_eq!(escape("a\u{1}b"), "ab");
    }

    #[test]
    fn everything_stays_inside_the_view_box() {
        for (n, width, height) in [
            (30, 900.0, 600.0),
            (150, 900.0, 600.0),
            (400, 640.0, 400.0),
            (12, 320.0, 240.0),
        ] {
            let (mut nodes, edges) = sample(n);
            nodes[0].label = "Cộng hòa Xã hội chủ nghĩa Việt Nam và một cái tên rất dài nữa".into();
            nodes[n - 1].label = "W".repeat(60);
            for highlight in [None, Some(0), Some(n - 1)] {
                let opts = Options {
                    width,
                    height,
                    highlight,
                    ..Options::default()
                };
                assert_inside(&layout_svg(&nodes, &edges, &opts), width, height);
            }
        }
    }

    #[test]
    fn degenerate_graphs_do_not_panic() {
        let opts = Options::default();
        let empty = render(&[], &[], &opts);
        assert_eq!((empty.nodes, empty.edges), (0, 0));
        parse(&empty.svg);
        assert!(
            empty
                .svg
                .contains("<title id=\"entity-graph-title\">Entity graph</title>")
        );

        let one = vec![Node {
            label: "Trung Quốc".into(),
            url: "/e/tq/".into(),
            kind: "place".into(),
            weight: 5.0,
        }];
        let bad = [
            Edge {
                a: 0,
                b: 0,
                weight: 1.0,
                relation: false,
            },
            Edge {
                a: 0,
                b: 9,
                weight: 1.0,
                relation: false,
            },
        ];
        for o in [
            Options::default(),
            Options {
                highlight: Some(0),
                ..Options::default()
            },
            Options {
                highlight: Some(42),
                ..Options::default()
            },
            Options {
                width: f64::NAN,
                height: -3.0,
                ..Options::default()
            },
        ] {
            let out = render(&one, &bad, &o);
            assert_eq!((out.nodes, out.edges), (1, 0));
            assert_inside(&out.svg, out.width, out.height);
        }
        // A single node sits in the middle.
        let lone = layout_svg(&one, &[], &opts);
        let doc = parse(&lone);
        let c = doc.descendants().find(|e| e.has_tag_name("circle")).unwrap();
        assert_eq!((f(c, "cx"), f(c, "cy")), (450.0, 300.0));

        // Odd weights, all nodes in one spot, nothing kept.
        let mut odd: Vec<Node> = (0..5)
            .map(|i| Node {
                label: String::new(),
                url: format!("/{i}"),
                kind: String::new(),
                weight: f64::NAN,
            })
            .collect();
        odd[1].weight = f64::INFINITY;
        odd[2].weight = -1.0;
        let edges = [Edge {
            a: 0,
            b: 1,
            weight: f64::NAN,
            relation: true,
        }];
        assert_inside(&layout_svg(&odd, &edges, &opts), 900.0, 600.0);
        let none = render(
            &odd,
            &edges,
            &Options {
                max_nodes: 0,
                highlight: Some(1),
                ..Options::default()
            },
        );
        assert_eq!(none.nodes, 0);
        parse(&none.svg);
        assert!(layout_svg(&odd, &edges, &opts).contains("class=\"node kind-other\""));
    }

    #[test]
    fn neighbourhood_picks_the_strongest() {
        let edges = [
            Edge {
                a: 0,
                b: 1,
                weight: 1.0,
                relation: false,
            },
            Edge {
                a: 2,
                b: 0,
                weight: 5.0,
                relation: false,
            },
            Edge {
                a: 0,
                b: 3,
                weight: 3.0,
                relation: true,
            },
            // 4 and 5 tie with 3 once their edges are added up.
            Edge {
                a: 4,
                b: 0,
                weight: 2.0,
                relation: false,
            },
            Edge {
                a: 0,
                b: 4,
                weight: 1.0,
                relation: true,
            },
            Edge {
                a: 5,
                b: 0,
                weight: 3.0,
                relation: false,
            },
            // Not the centre's.
            Edge {
                a: 1,
                b: 2,
                weight: 100.0,
                relation: false,
            },
            Edge {
                a: 0,
                b: 0,
                weight: 100.0,
                relation: false,
            },
        ];
        assert_eq!(neighbourhood(0, &edges, 10), vec![0, 2, 3, 4, 5, 1]);
        assert_eq!(neighbourhood(0, &edges, 3), vec![0, 2, 3]);
        assert_eq!(neighbourhood(0, &edges, 1), vec![0]);
        assert_eq!(neighbourhood(0, &edges, 0), Vec::<usize>::new());
        assert_eq!(neighbourhood(7, &edges, 5), vec![7]);

        // Into a local view: the centre becomes node 0 and is highlighted.
        let nodes: Vec<Node> = (0..6)
            .map(|i| Node {
                label: format!("N{i}"),
                url: format!("/n{i}/"),
                kind: "concept".into(),
                weight: 1.0,
            })
            .collect();
        let keep = neighbourhood(0, &edges, 4);
        let (sub_nodes, sub_edges) = subgraph(&nodes, &edges, &keep);
        assert_eq!(
            sub_nodes.iter().map(|n| n.label.as_str()).collect::<Vec<_>>(),
            ["N0", "N2", "N3", "N4"]
        );
        assert!(sub_edges.iter().all(|e| e.a < 4 && e.b < 4));
        assert_eq!(sub_edges.len(), 5); // 0–2, 0–3, 4–0 twice, the self-loop (dropped at render)
        let svg = layout_svg(
            &sub_nodes,
            &sub_edges,
            &Options {
                highlight: Some(0),
                ..Options::default()
            },
        );
        let doc = parse(&svg);
        let current: Vec<_> = doc
            .descendants()
            .filter(|e| e.attribute("class").is_some_and(|c| c.ends_with(" current")))
            .collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].attribute("href"), Some("/n0/"));
        assert_eq!(current[0].attribute("aria-current"), Some("page"));
        let c = current[0].children().find(|e| e.has_tag_name("circle")).unwrap();
        assert_eq!((f(c, "cx"), f(c, "cy")), (450.0, 300.0), "the centre is in the middle");
        let label = current[0].children().find(|e| e.has_tag_name("text")).unwrap();
        assert_eq!(label.attribute("visibility"), None);
    }

    #[test]
    fn max_nodes_keeps_the_heaviest_and_the_highlight() {
        let (mut nodes, edges) = sample(300);
        for (i, n) in nodes.iter_mut().enumerate() {
            n.weight = (300 - i) as f64;
        }
        let opts = Options {
            max_nodes: 20,
            highlight: Some(250),
            ..Options::default()
        };
        let out = render(&nodes, &edges, &opts);
        assert_eq!(out.nodes, 20);
        let doc = parse(&out.svg);
        let mut hrefs: Vec<&str> = doc
            .descendants()
            .filter(|e| e.has_tag_name("a"))
            .filter_map(|a| a.attribute("href"))
            .collect();
        hrefs.sort_unstable();
        let mut want: Vec<String> = (0..19).chain([250]).map(|i| format!("/entities/e-{i}/")).collect();
        want.sort_unstable();
        assert_eq!(hrefs, want);
        // Only edges among the kept nodes, merged per pair.
        let kept = |i: usize| i < 19 || i == 250;
        let mut pairs: Vec<(usize, usize)> = edges
            .iter()
            .filter(|e| kept(e.a) && kept(e.b) && e.a != e.b)
            .map(|e| (e.a.min(e.b), e.a.max(e.b)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(out.edges, pairs.len());
        assert_eq!(
            doc.descendants().filter(|e| e.has_tag_name("line")).count(),
            pairs.len()
        );

        let capped = render(
            &nodes,
            &edges,
            &Options {
                max_nodes: 100,
                max_edges: 10,
                ..Options::default()
            },
        );
        assert_eq!(capped.edges, 10);
        // Relations solid, co-mentions dashed.
        let doc = parse(&capped.svg);
        for line in doc.descendants().filter(|e| e.has_tag_name("line")) {
            let group = line.parent_element().unwrap();
            let dashed = group.attribute("stroke-dasharray").is_some();
            assert_eq!(group.attribute("class") == Some("edges co-mention"), dashed);
        }
    }

    #[test]
    fn labels_are_cut_and_collisions_hidden() {
        assert_eq!(fit_label("  Bắc   Kinh ", 12.0, 800.0), "Bắc Kinh");
        let long = fit_label(&"x".repeat(80), 12.0, 800.0);
        assert_eq!(long.chars().count(), MAX_LABEL_CHARS);
        assert!(long.ends_with('…'));
        assert!(text_width(&fit_label(&"M".repeat(80), 14.0, 100.0), 14.0) <= 100.0);
        // Combining marks take no room: NFD and NFC measure the same.
        assert_eq!(text_width("Quốc", 12.0), text_width("Quo\u{302}\u{301}c", 12.0));

        // Many nodes in a small box: some labels must give way, none overlap.
        let (nodes, edges) = sample(150);
        let svg = layout_svg(
            &nodes,
            &edges,
            &Options {
                width: 400.0,
                height: 300.0,
                ..Options::default()
            },
        );
        let doc = parse(&svg);
        let mut shown = Vec::new();
        let mut hidden = 0;
        for t in doc.descendants().filter(|e| e.has_tag_name("text")) {
            if t.attribute("visibility") == Some("hidden") {
                hidden += 1;
                continue;
            }
            let (x, y, fs) = (f(t, "x"), f(t, "y"), f(t, "font-size"));
            let w = text_width(t.text().unwrap(), fs);
            let left = match t.attribute("text-anchor") {
                Some("middle") => x - w / 2.0,
                Some("end") => x - w,
                _ => x,
            };
            shown.push((left, y - ASCENT * fs, left + w, y + DESCENT * fs));
        }
        assert!(hidden > 0 && !shown.is_empty());
        for (i, a) in shown.iter().enumerate() {
            for b in &shown[i + 1..] {
                assert!(!overlaps(a, b, -0.2), "{a:?} overlaps {b:?}");
            }
        }
    }

    /// The rules suggested for `static/style.css` (with `.kind-person` etc.
    /// added to its `[data-kind]` selectors there, instead of repeated here).
    const SUGGESTED_CSS: &str = r#"
[data-kind="person"], .kind-person { --kind: #b5543a; }
[data-kind="organization"], .kind-organization { --kind: #2f6fa6; }
[data-kind="place"], .kind-place { --kind: #3d8b55; }
[data-kind="product"], .kind-product { --kind: #8c5bb0; }
[data-kind="concept"], .kind-concept { --kind: #b08a1e; }
[data-kind="event"], .kind-event { --kind: #c0396b; }
[data-kind="work"], .kind-work { --kind: #4f7f80; }

.entity-graph { display: block; margin: 0 auto 1.5rem; font-family: var(--font-sans); color: var(--mention-line); }
.entity-graph .edges { stroke-opacity: 0.55; }
.entity-graph .edges.relation { stroke: var(--muted); stroke-opacity: 0.75; }
.entity-graph .node circle { fill: var(--kind, var(--faint)); stroke: var(--bg); stroke-width: 1.5px; }
.entity-graph .node text {
  fill: var(--fg);
  stroke: var(--bg); stroke-width: 3px; stroke-linejoin: round; paint-order: stroke;
}
.entity-graph .node:hover circle, .entity-graph .node:focus-visible circle { stroke: var(--fg); stroke-width: 2px; }
.entity-graph .node:hover text, .entity-graph .node:focus-visible text { visibility: visible; text-decoration: underline; }
.entity-graph .node:focus-visible { outline: none; }
.entity-graph .node:focus-visible circle { stroke: var(--focus); stroke-width: 3px; }
.entity-graph .node.current circle { stroke: var(--fg); stroke-width: 2.5px; }
.entity-graph .node.current text { font-weight: 700; }
"#;

    /// A Vietnamese news sample of 30 entities.
    fn vietnamese() -> (Vec<Node>, Vec<Edge>) {
        let names: [(&str, &str, f64); 30] = [
            ("Trung Quốc", "place", 40.0),
            ("Bắc Kinh", "place", 18.0),
            ("Việt Nam", "place", 55.0),
            ("Hà Nội", "place", 30.0),
            ("Thành phố Hồ Chí Minh", "place", 22.0),
            ("Tập Cận Bình", "person", 20.0),
            ("Nguyễn Phú Trọng", "person", 16.0),
            ("Tô Lâm", "person", 25.0),
            ("Phạm Minh Chính", "person", 21.0),
            ("Biển Đông", "place", 19.0),
            ("Quần đảo Hoàng Sa", "place", 8.0),
            ("Quần đảo Trường Sa", "place", 9.0),
            ("Hoa Kỳ", "place", 28.0),
            ("Washington", "place", 7.0),
            ("Joe Biden", "person", 10.0),
            ("ASEAN", "organization", 14.0),
            ("Liên Hợp Quốc", "organization", 6.0),
            ("Ngân hàng Nhà nước", "organization", 11.0),
            ("VinFast", "organization", 13.0),
            ("Vingroup", "organization", 9.0),
            ("Phạm Nhật Vượng", "person", 8.0),
            ("Samsung", "organization", 7.0),
            ("Hội nghị APEC", "event", 6.0),
            ("Đại hội Đảng lần thứ XIV", "event", 12.0),
            ("Sáng kiến Vành đai và Con đường", "concept", 9.0),
            ("Chiến tranh thương mại", "concept", 10.0),
            ("Truyện Kiều", "work", 4.0),
            ("Nguyễn Du", "person", 4.0),
            ("Hiệp định EVFTA", "work", 6.0),
            ("Liên minh châu Âu", "organization", 12.0),
        ];
        let nodes = names
            .iter()
            .enumerate()
            .map(|(i, &(label, kind, weight))| Node {
                label: label.to_string(),
                url: format!("/entities/{i}/"),
                kind: kind.to_string(),
                weight,
            })
            .collect();
        let links: [(usize, usize, f64, bool); 48] = [
            (0, 1, 12.0, true),
            (0, 2, 20.0, false),
            (0, 5, 14.0, true),
            (0, 9, 15.0, false),
            (0, 10, 6.0, false),
            (0, 11, 5.0, false),
            (0, 12, 12.0, false),
            (0, 24, 8.0, true),
            (0, 25, 9.0, false),
            (1, 5, 7.0, false),
            (1, 3, 4.0, false),
            (2, 3, 15.0, true),
            (2, 4, 12.0, true),
            (2, 7, 14.0, false),
            (2, 8, 13.0, false),
            (2, 6, 10.0, false),
            (2, 9, 12.0, false),
            (2, 12, 10.0, false),
            (2, 15, 9.0, true),
            (2, 29, 7.0, false),
            (2, 28, 5.0, false),
            (3, 7, 8.0, false),
            (3, 8, 7.0, false),
            (3, 6, 6.0, false),
            (3, 23, 8.0, false),
            (4, 18, 3.0, false),
            (4, 21, 2.0, false),
            (6, 23, 7.0, false),
            (7, 23, 9.0, false),
            (7, 5, 5.0, false),
            (8, 17, 6.0, false),
            (8, 22, 3.0, false),
            (9, 10, 6.0, true),
            (9, 11, 6.0, true),
            (9, 15, 5.0, false),
            (12, 13, 6.0, true),
            (12, 14, 7.0, false),
            (12, 25, 8.0, false),
            (14, 22, 3.0, false),
            (15, 16, 2.0, false),
            (16, 9, 2.0, false),
            (18, 19, 8.0, true),
            (19, 20, 7.0, true),
            (18, 20, 6.0, false),
            (18, 12, 3.0, false),
            (26, 27, 4.0, true),
            (28, 29, 5.0, true),
            (17, 25, 2.0, false),
        ];
        let edges = links
            .iter()
            .map(|&(a, b, weight, relation)| Edge { a, b, weight, relation })
            .collect();
        (nodes, edges)
    }

    /// Writes `graph.html` (the whole sample), `graph-nocss.html` (the same
    /// without any CSS), `graph-local.html` (the neighbourhood of Trung Quốc)
    /// and `graph-150.html` (150 of 400 generated nodes) to the temp directory, with
    /// `static/style.css`, to look at in a browser:
    /// `cargo test --lib graph::tests::sample_pages -- --ignored`
    #[test]
    #[ignore]
    fn sample_pages() {
        let (nodes, edges) = vietnamese();
        let css = concat!(env!("CARGO_MANIFEST_DIR"), "/static/style.css");
        let page = |title: &str, svg: &str, styled: bool| {
            let style = if styled {
                format!("<link rel=\"stylesheet\" href=\"file://{css}\">\n<style>\n{SUGGESTED_CSS}</style>\n")
            } else {
                String::new()
            };
            format!(
                "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n{style}\
                 </head>\n<body>\n<main class=\"site-main\">\n<h1>{title}</h1>\n{svg}\n</main>\n</body>\n</html>\n"
            )
        };
        let opts = Options {
            title: "Quan hệ giữa các thực thể".into(),
            ..Options::default()
        };
        let full = layout_svg(&nodes, &edges, &opts);
        let keep = neighbourhood(0, &edges, 12);
        let (sub_nodes, sub_edges) = subgraph(&nodes, &edges, &keep);
        let local_opts = Options {
            width: 640.0,
            height: 420.0,
            highlight: Some(0),
            title: "Trung Quốc và các thực thể liên quan".into(),
            id_prefix: "local-graph".into(),
            ..Options::default()
        };
        let local = layout_svg(&sub_nodes, &sub_edges, &local_opts);
        let dir = std::env::temp_dir();
        std::fs::write(dir.join("graph.html"), page("Thực thể", &full, true)).unwrap();
        std::fs::write(dir.join("graph-nocss.html"), page("Thực thể", &full, false)).unwrap();
        std::fs::write(dir.join("graph-local.html"), page("Trung Quốc", &local, true)).unwrap();
        let (nodes, edges) = sample(400);
        let overview = layout_svg(
            &nodes,
            &edges,
            &Options {
                id_prefix: "overview".into(),
                ..Options::default()
            },
        );
        std::fs::write(dir.join("graph-150.html"), page("150 of 400", &overview, true)).unwrap();
    }

    /// `cargo test --release --lib graph::tests::timing -- --ignored --nocapture`
    /// prints wall time and, on Linux, this thread's CPU time (which a busy
    /// machine does not inflate), and a hash of each SVG to compare between
    /// builds (debug and release give the same bytes).
    #[test]
    #[ignore]
    fn timing() {
        fn cpu_ns() -> Option<u64> {
            std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        }
        for (n, max_nodes) in [(30, 150), (150, 150), (2_000, 150), (2_000, 500), (2_000, 2_000)] {
            let (nodes, edges) = sample(n);
            let opts = Options {
                max_nodes,
                ..Options::default()
            };
            let runs = 5;
            let (wall, cpu) = (std::time::Instant::now(), cpu_ns());
            let mut svg = String::new();
            for _ in 0..runs {
                svg = layout_svg(&nodes, &edges, &opts);
            }
            let wall = wall.elapsed() / runs;
            let cpu = cpu
                .zip(cpu_ns())
                .map(|(a, b)| std::time::Duration::from_nanos((b - a) / runs as u64));
            eprintln!(
                "{n} nodes, {} edges, max_nodes {max_nodes}: {wall:?} wall, {cpu:?} CPU per render, {} bytes, FNV-1a {:016x}",
                edges.len(),
                svg.len(),
                svg.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b))
                    .wrapping_mul(0x100_0000_01b3)),
            );
        }
    }
}
