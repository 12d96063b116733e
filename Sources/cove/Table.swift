import Foundation

/// Columns for people: padded to the widest cell.
struct Table: CustomStringConvertible {
  var header: [String]
  var rows: [[String]]

  init(_ header: [String], _ rows: [[String]]) {
    self.header = header
    self.rows = rows
  }

  var description: String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
      row.enumerated().map { column, cell in
        column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }

  static func format(_ date: Date) -> String {
    date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon))
  }
}
