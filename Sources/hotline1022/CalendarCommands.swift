import Foundation
import HotlineCore

let calendarCommands = Command.group("calendar", "Lịch ngày làm việc dùng để tính thời hạn.", [
    calendarShowCommand,
])

let calendarShowCommand = Command.leaf(
    "show", "Xem ngày lễ, ngày nghỉ theo thông báo, thứ Bảy làm bù và số ngày làm việc từng tháng của một năm.",
    help: """
        YEAR [--calendar PATH] [--json]

        Tết và Giỗ Tổ được tính theo âm lịch; ngày nghỉ thêm theo thông báo và thứ Bảy làm bù lấy từ
        --calendar (mặc định Config/calendar.json).
        """
) { args in
    let path = try args.option("--calendar") ?? "Config/calendar.json"
    let json = args.flag("--json")
    let yearText = try args.requiredPositional("năm (ví dụ 2026)")
    try args.finish()
    guard let year = Int(yearText), (1900...2199).contains(year) else {
        throw UsageError("YEAR là một năm, ví dụ 2026; nhận được '\(yearText)'")
    }
    let calendar: WorkingCalendar
    do {
        calendar = try WorkingCalendar.load(path: path)
    } catch {
        throw CommandFailure("\(error)")
    }
    let holidays = calendar.holidays(year)
    let extra = calendar.adjustments.extraDaysOff.filter { $0.year == year }
    let makeUp = calendar.adjustments.workingWeekendDays.filter { $0.year == year }
    var perMonth: [Int] = Array(repeating: 0, count: 12)
    var day = Day(year, 1, 1)
    while day.year == year {
        if calendar.isWorkingDay(day) { perMonth[day.month - 1] += 1 }
        day = day.adding(days: 1)
    }
    if json {
        struct Holiday: Encodable { let day: Day; let name: String }
        struct Year: Encodable {
            let year: Int; let holidays: [Holiday]; let extraDaysOff: [Day]; let workingWeekendDays: [Day]
            let workingDaysPerMonth: [Int]
        }
        return try printJSON(Year(year: year, holidays: holidays.map { Holiday(day: $0.day, name: $0.name) },
                                  extraDaysOff: extra, workingWeekendDays: makeUp, workingDaysPerMonth: perMonth))
    }
    let weekdays = ["", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
    func line(_ d: Day) -> String { String(format: "%02d/%02d/%04d", d.day, d.month, d.year) + " " + weekdays[d.isoWeekday] }
    print("Lịch làm việc năm \(year) (tệp điều chỉnh: \(path))\n")
    print("Ngày lễ, Tết:")
    print(renderTable(["Ngày", "Tên"], holidays.map { [line($0.day), $0.name] }))
    print("\nNghỉ thêm / nghỉ bù theo thông báo: " + (extra.isEmpty ? "không có" : extra.map(line).joined(separator: "; ")))
    print("Thứ Bảy làm bù: " + (makeUp.isEmpty ? "không có" : makeUp.map(line).joined(separator: "; ")))
    print("\nSố ngày làm việc theo tháng:")
    print(renderTable(["Tháng", "Ngày làm việc"], perMonth.enumerated().map { ["\($0.offset + 1)", "\($0.element)"] }))
    print("\nGiờ hành chính: 07:30–17:00.")
}
