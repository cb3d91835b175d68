# গ্রাহকের পাতা: নতুন অর্ডার, একসাথে অনেক অর্ডার, আমার অর্ডার, একটি অর্ডার, লেনদেন,
# সার্ভিস ও অ্যাকাউন্ট।

# আমার অর্ডার (এবং তালিকাগুলোর পৃষ্ঠা বদলের লিংক)।
cust-my-orders = আমার অর্ডার
cust-all-statuses = সব অবস্থা
cust-order-search-placeholder = অর্ডার আইডি বা লিংক
cust-date = তারিখ
cust-start-count = শুরুর সংখ্যা
cust-remains = বাকি
cust-no-orders-match = মেলে এমন কোনো অর্ডার নেই।
cust-no-orders-yet = এখনও কোনো অর্ডার নেই:
cust-place-first = প্রথম অর্ডারটি দিন।
cust-pages = পৃষ্ঠা
cust-newest = সবচেয়ে নতুন
cust-page-n = পৃষ্ঠা { $n }

# একটি অর্ডার।
cust-order-n = অর্ডার { $id }
cust-placed = অর্ডারের সময়
cust-last-checked = শেষ যাচাই
cust-refresh-status = অবস্থা হালনাগাদ করুন
cust-ask-refill = রিফিল চান
cust-cancel-order = অর্ডার বাতিল করুন
cust-requests = রিফিল ও বাতিলের অনুরোধ
cust-asked = অনুরোধের সময়
cust-what = কী চেয়েছেন
cust-request-status-pending = অপেক্ষমাণ
cust-request-status-in-progress = চলমান
cust-request-status-completed = সম্পন্ন
cust-request-status-rejected = প্রত্যাখ্যাত

# নতুন অর্ডার ও একসাথে অনেক অর্ডার।
cust-category = ক্যাটাগরি
cust-all-categories = সব ক্যাটাগরি
cust-choose-service = একটি সার্ভিস বেছে নিন…
cust-per-1000 = প্রতি ১,০০০-এ { $price }
cust-price-note = (আপনার ব্যালেন্স থেকে কাটা হবে; অর্ডার দেওয়ার সময় আবার হিসাব করা হয়)
cust-place-order = অর্ডার দিন
cust-mass-order = একসাথে অনেক অর্ডার
cust-all-services = সব সার্ভিস ও দাম
cust-mass-one-per-line = প্রতি লাইনে একটি অর্ডার:
cust-mass-format = সার্ভিস আইডি|লিংক|পরিমাণ
cust-mass-at-most = , সর্বোচ্চ { $n }টি লাইন। সবগুলো অর্ডার একসাথে দেওয়া হয় ও টাকা কাটা হয়, নয়তো একটিও নয়।
cust-place-orders = অর্ডারগুলো দিন

# সার্ভিস।
cust-services-and-prices = সার্ভিস ও দাম
cust-price-per-1000 = প্রতি ১,০০০-এর দাম
cust-min = সর্বনিম্ন
cust-max = সর্বোচ্চ
cust-refill = রিফিল
cust-no-services = এখনও কোনো সার্ভিস দেওয়া হচ্ছে না।

# লেনদেন।
cust-no-transactions = এখনও কোনো লেনদেন নেই।

# অ্যাকাউন্ট।
cust-profile = প্রোফাইল
cust-role = ভূমিকা
cust-member-since = সদস্য হয়েছেন
cust-api-key = API কী
cust-api-use = যেকোনো প্রচলিত SMM প্যানেল ক্লায়েন্টে (API v2) এই কী ব্যবহার করুন, ঠিকানা:
cust-api-secret = । এটি গোপন রাখুন।
cust-show-key = আমার কী দেখান
cust-new-key = নতুন কী তৈরি করুন
cust-change-password = পাসওয়ার্ড বদলান
cust-current-password = বর্তমান পাসওয়ার্ড
cust-new-password = নতুন পাসওয়ার্ড
cust-repeat-new-password = নতুন পাসওয়ার্ডটি আবার লিখুন
cust-password-note = পাসওয়ার্ড বদলালে অন্য সব সেশন ও সব API টোকেন থেকে সাইন আউট হয়ে যাবে (API v2 কী এতে বদলায় না: সেগুলো বন্ধ করতে ওপরে নতুন কী তৈরি করুন)।
cust-sessions = সেশন
cust-sessions-note = এমন কোনো ডিভাইসে সাইন ইন করা আছে যা এখন আপনার কাছে নেই, বা কোনো শেয়ার করা কম্পিউটারে? এই অ্যাকাউন্টের সব সেশন ও টোকেন শেষ করুন।
cust-sign-out-everywhere = সব জায়গা থেকে সাইন আউট
