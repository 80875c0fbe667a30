import Foundation

/// A minimal WordprocessingML (.docx) builder: paragraphs of runs (bold, italic, underlined), alignment,
/// headings, tables with borders and merged header cells, A4 pages with the margins of Decree 30/2020 on
/// administrative documents. Enough for the city office's reports; a `.docx` is a ZIP of these XML parts.
public struct WordDocument: Sendable {
    public enum Alignment: String, Sendable { case left, center, right, both }

    public struct Run: Sendable, Equatable {
        public var text: String
        public var bold = false
        public var italic = false
        public var underline = false
        /// Font size in points; nil keeps the style's.
        public var size: Double?
        public init(_ text: String, bold: Bool = false, italic: Bool = false, underline: Bool = false, size: Double? = nil) {
            (self.text, self.bold, self.italic, self.underline, self.size) = (text, bold, italic, underline, size)
        }
    }

    public struct Paragraph: Sendable, Equatable {
        public var runs: [Run]
        public var alignment: Alignment = .both
        /// A style id of `styles.xml`: "Title", "Heading1", "Heading2"; nil is Normal.
        public var style: String?
        /// First-line indent in twentieths of a point (567 = 1 cm).
        public var firstLineIndent = 0
        public var spaceBefore = 0
        public var spaceAfter = 120
        public var keepWithNext = false
        public init(_ runs: [Run], alignment: Alignment = .both, style: String? = nil, firstLineIndent: Int = 0,
                    spaceBefore: Int = 0, spaceAfter: Int = 120, keepWithNext: Bool = false) {
            (self.runs, self.alignment, self.style, self.firstLineIndent) = (runs, alignment, style, firstLineIndent)
            (self.spaceBefore, self.spaceAfter, self.keepWithNext) = (spaceBefore, spaceAfter, keepWithNext)
        }
        public init(_ text: String, bold: Bool = false, italic: Bool = false, alignment: Alignment = .both,
                    firstLineIndent: Int = 0, spaceAfter: Int = 120) {
            self.init([Run(text, bold: bold, italic: italic)], alignment: alignment, firstLineIndent: firstLineIndent,
                      spaceAfter: spaceAfter)
        }
    }

    public struct Cell: Sendable, Equatable {
        public var paragraphs: [Paragraph]
        /// Grid columns this cell covers (a merged header cell spans several).
        public var span = 1
        public var shaded = false
        public init(_ paragraphs: [Paragraph], span: Int = 1, shaded: Bool = false) {
            (self.paragraphs, self.span, self.shaded) = (paragraphs, span, shaded)
        }
        /// One paragraph of text, without space after (a table cell).
        public init(_ text: String, bold: Bool = false, italic: Bool = false, alignment: Alignment = .left, span: Int = 1,
                    shaded: Bool = false) {
            self.init([Paragraph([Run(text, bold: bold, italic: italic)], alignment: alignment, spaceAfter: 0)],
                      span: span, shaded: shaded)
        }
    }

    public struct Table: Sendable, Equatable {
        /// Column widths in twentieths of a point; the page's text width is about 9070 (16 cm).
        public var columns: [Int]
        public var rows: [[Cell]]
        public var borders = true
        /// Rows repeated at the top of every page the table runs onto.
        public var headerRows = 0
        public init(columns: [Int], rows: [[Cell]], borders: Bool = true, headerRows: Int = 0) {
            (self.columns, self.rows, self.borders, self.headerRows) = (columns, rows, borders, headerRows)
        }
    }

    public enum Block: Sendable, Equatable {
        case paragraph(Paragraph)
        case table(Table)
    }

    public var blocks: [Block] = []
    /// The document's title in its properties (`docProps/core.xml`).
    public var title: String
    /// Body font size in points (13–14 by Decree 30).
    public var fontSize: Double = 13
    public var font = "Times New Roman"

    public init(title: String) { self.title = title }

    public mutating func add(_ p: Paragraph) { blocks.append(.paragraph(p)) }
    public mutating func add(_ t: Table) { blocks.append(.table(t)) }

    // MARK: Parts

    static let mainNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    /// The `.docx` file: a stored ZIP of the content types, the relationships, the body, the styles and the
    /// properties. `modified` stamps the entries and the properties, so equal inputs give equal bytes.
    public func docx(modified: Date) throws -> [UInt8] {
        var zip = StoredZip(modified: modified)
        try zip.add("[Content_Types].xml", text: Self.contentTypes)
        try zip.add("_rels/.rels", text: Self.packageRelationships)
        try zip.add("word/document.xml", text: documentXML())
        try zip.add("word/_rels/document.xml.rels", text: Self.documentRelationships)
        try zip.add("word/styles.xml", text: stylesXML())
        try zip.add("docProps/core.xml", text: coreXML(modified: modified))
        try zip.add("docProps/app.xml", text: Self.appXML)
        return try zip.bytes()
    }

    public func documentXML() -> String {
        var x = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        x += #"<w:document xmlns:w="\#(Self.mainNamespace)" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>"#
        for (i, block) in blocks.enumerated() {
            switch block {
            case .paragraph(let p): x += paragraphXML(p)
            case .table(let t):
                x += tableXML(t)
                // Two tables in a row would merge into one in Word: a paragraph keeps them apart.
                if i + 1 == blocks.count || { if case .table = blocks[i + 1] { return true } else { return false } }() {
                    x += paragraphXML(Paragraph([], spaceAfter: 0))
                }
            }
        }
        // A4 portrait; margins 2 cm top and bottom, 3 cm left, 2 cm right (Decree 30/2020, appendix I).
        x += #"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1701" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr>"#
        x += "</w:body></w:document>"
        return x
    }

    func paragraphXML(_ p: Paragraph) -> String {
        var x = "<w:p><w:pPr>"
        if let style = p.style { x += #"<w:pStyle w:val="\#(XMLText.attribute(style))"/>"# }
        if p.keepWithNext { x += "<w:keepNext/>" }
        x += #"<w:spacing w:before="\#(p.spaceBefore)" w:after="\#(p.spaceAfter)"/>"#
        if p.firstLineIndent > 0 { x += #"<w:ind w:firstLine="\#(p.firstLineIndent)"/>"# }
        x += #"<w:jc w:val="\#(p.alignment.rawValue)"/></w:pPr>"#
        for r in p.runs { x += runXML(r) }
        return x + "</w:p>"
    }

    func runXML(_ r: Run) -> String {
        var props = ""
        if r.bold { props += "<w:b/><w:bCs/>" }
        if r.italic { props += "<w:i/><w:iCs/>" }
        if r.underline { props += #"<w:u w:val="single"/>"# }
        if let size = r.size {
            let half = Int((size * 2).rounded())
            props += #"<w:sz w:val="\#(half)"/><w:szCs w:val="\#(half)"/>"#
        }
        var x = "<w:r>" + (props.isEmpty ? "" : "<w:rPr>\(props)</w:rPr>")
        // Line breaks and tabs are elements of their own in WordprocessingML.
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            if i > 0 { x += "<w:br/>" }
            let pieces = line.split(separator: "\t", omittingEmptySubsequences: false)
            for (j, piece) in pieces.enumerated() {
                if j > 0 { x += "<w:tab/>" }
                if !piece.isEmpty { x += #"<w:t xml:space="preserve">\#(XMLText.escape(String(piece)))</w:t>"# }
            }
        }
        return x + "</w:r>"
    }

    func tableXML(_ t: Table) -> String {
        let total = t.columns.reduce(0, +)
        var x = #"<w:tbl><w:tblPr><w:tblW w:w="\#(total)" w:type="dxa"/><w:jc w:val="center"/>"#
        let edge = t.borders ? #"w:val="single" w:sz="4" w:space="0" w:color="000000""# : #"w:val="nil""#
        x += "<w:tblBorders>" + ["top", "left", "bottom", "right", "insideH", "insideV"].map { "<w:\($0) \(edge)/>" }.joined()
        x += "</w:tblBorders>"
        x += #"<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>"#
        x += "</w:tblPr><w:tblGrid>" + t.columns.map { #"<w:gridCol w:w="\#($0)"/>"# }.joined() + "</w:tblGrid>"
        for (i, row) in t.rows.enumerated() {
            x += "<w:tr>"
            if i < t.headerRows { x += "<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>" } else { x += "<w:trPr><w:cantSplit/></w:trPr>" }
            var column = 0
            for cell in row {
                let span = max(1, min(cell.span, t.columns.count - column))
                let width = t.columns[column..<min(t.columns.count, column + span)].reduce(0, +)
                column += span
                x += #"<w:tc><w:tcPr><w:tcW w:w="\#(width)" w:type="dxa"/>"#
                if span > 1 { x += #"<w:gridSpan w:val="\#(span)"/>"# }
                if cell.shaded { x += #"<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>"# }
                x += #"<w:vAlign w:val="center"/></w:tcPr>"#
                // Every cell holds at least one paragraph, or Word calls the file damaged.
                let paragraphs = cell.paragraphs.isEmpty ? [Paragraph([], spaceAfter: 0)] : cell.paragraphs
                for p in paragraphs { x += paragraphXML(p) }
                x += "</w:tc>"
            }
            x += "</w:tr>"
        }
        return x + "</w:tbl>"
    }

    func stylesXML() -> String {
        let size = Int((fontSize * 2).rounded())
        let font = XMLText.attribute(self.font)
        func style(_ id: String, _ name: String, _ props: String, paragraph: String = "") -> String {
            #"<w:style w:type="paragraph" w:styleId="\#(id)"><w:name w:val="\#(name)"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>"#
                + (paragraph.isEmpty ? "" : "<w:pPr>\(paragraph)</w:pPr>") + "<w:rPr>\(props)</w:rPr></w:style>"
        }
        return #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
            + #"<w:styles xmlns:w="\#(Self.mainNamespace)"><w:docDefaults><w:rPrDefault><w:rPr>"#
            + #"<w:rFonts w:ascii="\#(font)" w:hAnsi="\#(font)" w:eastAsia="\#(font)" w:cs="\#(font)"/>"#
            + #"<w:sz w:val="\#(size)"/><w:szCs w:val="\#(size)"/><w:lang w:val="vi-VN" w:eastAsia="vi-VN" w:bidi="ar-SA"/>"#
            + #"</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>"#
            + #"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>"#
            + style("Title", "Title", "<w:b/><w:bCs/>", paragraph: #"<w:jc w:val="center"/>"#)
            + style("Heading1", "heading 1", "<w:b/><w:bCs/>", paragraph: #"<w:keepNext/><w:spacing w:before="120" w:after="120"/><w:outlineLvl w:val="0"/>"#)
            + style("Heading2", "heading 2", "<w:b/><w:bCs/><w:i/><w:iCs/>", paragraph: #"<w:keepNext/><w:outlineLvl w:val="1"/>"#)
            + #"<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#
            + "</w:styles>"
    }

    func coreXML(modified: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let stamp = f.string(from: modified)
        return #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
            + #"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#
            + "<dc:title>\(XMLText.escape(title))</dc:title><dc:language>vi-VN</dc:language><dc:creator>Tổng đài 1022 Hải Phòng</dc:creator>"
            + #"<dcterms:created xsi:type="dcterms:W3CDTF">\#(stamp)</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">\#(stamp)</dcterms:modified>"#
            + "</cp:coreProperties>"
    }

    static let contentTypes = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        + #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
        + #"<Default Extension="xml" ContentType="application/xml"/>"#
        + #"<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>"#
        + #"<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>"#
        + #"<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>"#
        + #"<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>"#
        + "</Types>"

    static let packageRelationships = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        + #"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>"#
        + #"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>"#
        + #"<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>"#
        + "</Relationships>"

    static let documentRelationships = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        + #"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#
        + "</Relationships>"

    static let appXML = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        + #"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Hotline1022</Application></Properties>"#
}

/// Text for XML content and attributes: `& < > " '` escaped, and characters XML 1.0 forbids (control
/// characters other than tab, newline and carriage return) dropped.
public enum XMLText {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                let v = scalar.value
                let allowed = v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                    || (0x10000...0x10FFFF).contains(v)
                if allowed { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    public static func attribute(_ s: String) -> String { escape(s) }
}
