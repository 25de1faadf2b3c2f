"""The demo contest of the local stack, modelled on the Ministry of Labour's "best social worker"
contest: seven nominations, fictional finalists from several regions, open now for five days
(Astana time). All people here are invented."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ASTANA = ZoneInfo("Asia/Almaty")
DEMO_ID = "best-social-worker-demo"

NOMINATIONS = [
    ("home-care",
     "Үйде қызмет көрсету ұйымының үздік әлеуметтік қызметкері",
     "Лучший социальный работник организации надомного обслуживания",
     "Best social worker of a home-care organisation"),
    ("residential",
     "Стационарлық ұйымның үздік әлеуметтік қызметкері",
     "Лучший социальный работник стационарной организации",
     "Best social worker of a residential care home"),
    ("day-care",
     "Күндізгі болу орталығының үздік әлеуметтік қызметкері",
     "Лучший социальный работник центра дневного пребывания",
     "Best social worker of a day-care centre"),
    ("health",
     "Денсаулық сақтау саласындағы үздік әлеуметтік қызметкер",
     "Лучший социальный работник в сфере здравоохранения",
     "Best social worker in health care"),
    ("education",
     "Білім беру саласындағы үздік әлеуметтік қызметкер",
     "Лучший социальный работник в сфере образования",
     "Best social worker in education"),
    ("employment",
     "Жұмыспен қамту орталығының үздік әлеуметтік қызметкері",
     "Лучший социальный работник центра занятости населения",
     "Best social worker of an employment centre"),
    ("family",
     "Отбасылар мен балаларға қызмет көрсететін үздік маман",
     "Лучший специалист по работе с семьями и детьми",
     "Best specialist working with families and children"),
]

REGIONS = ["Астана", "Алматы", "Шымкент", "Абайская область", "Акмолинская область", "Актюбинская область",
           "Карагандинская область", "Костанайская область", "Мангистауская область", "Павлодарская область",
           "Туркестанская область", "Жетысуская область", "Западно-Казахстанская область", "Улытауская область"]
GIVEN = ["Айгүл", "Марат", "Гүлнар", "Ерлан", "Сауле", "Дина", "Асель", "Бауыржан", "Елена", "Жанар", "Нурлан",
         "Ольга", "Алия", "Санжар", "Мадина", "Ирина", "Тимур", "Камила", "Арман", "Людмила", "Динара"]
FAMILY = ["Сейтқали", "Оспанова", "Ким", "Жумабаев", "Абдрахманова", "Петрова", "Нургалиев", "Искакова",
          "Ахметов", "Садыкова", "Бекова", "Ли", "Омаров", "Тулегенова", "Смагулова", "Кузнецова"]
ORGANIZATIONS = ["Территориальный центр социального обслуживания", "Центр оказания специальных социальных услуг",
                 "Дом-интернат для престарелых и лиц с инвалидностью", "Центр занятости населения",
                 "Центр поддержки семьи", "Городская поликлиника", "Специальная школа-интернат"]


def demo_contest(now: datetime, nominees_per_nomination: int = 4) -> dict:
    """The contest file of the demo: opens at the start of the current Astana hour, five days."""
    opens = now.astimezone(ASTANA).replace(minute=0, second=0, microsecond=0)
    nominations = []
    counter = 0
    for index, (nomination_id, kk, ru, en) in enumerate(NOMINATIONS):
        nominees = []
        for j in range(nominees_per_nomination + index % 3):
            counter += 1
            given, family = GIVEN[counter % len(GIVEN)], FAMILY[(counter * 7) % len(FAMILY)]
            region = REGIONS[(counter * 5) % len(REGIONS)]
            nominees.append({
                "id": f"{nomination_id}-{j + 1:03d}",
                "name": f"{family} {given}",
                "region": region,
                "organization": f"{ORGANIZATIONS[counter % len(ORGANIZATIONS)]} №{counter % 9 + 1}",
                "description": {
                    "kk": f"{10 + counter % 20} жыл тәжірибе, {region}.",
                    "ru": f"Стаж {10 + counter % 20} лет. Помогает пожилым людям и семьям ({region}).",
                    "en": f"{10 + counter % 20} years of service in {region}.",
                },
            })
        nominations.append({"id": nomination_id, "title": {"kk": kk, "ru": ru, "en": en}, "nominees": nominees})
    return {
        "id": DEMO_ID,
        "title": {
            "kk": "«Үздік әлеуметтік қызметкер» республикалық байқауы (демо)",
            "ru": "Республиканский конкурс «Лучший социальный работник» (демо)",
            "en": "National contest “Best social worker” (demo)",
        },
        "opens_at": opens.isoformat(),
        "closes_at": (opens + timedelta(days=5)).isoformat(),
        "results_visibility": "public",
        "nominations": nominations,
    }
